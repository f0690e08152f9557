// Spans: start, record, end.

#include <tether/trace.hpp>

#include "trace/span_record.hpp"

namespace tether::trace {

span start_span(std::string_view name, span_kind kind, span_options options) {
  span s;
  s.parent_ = options.parent ? std::move(*options.parent) : current();
  const span_context& parent = s.parent_.span();
  std::shared_ptr<detail::pipeline> to =
      s.parent_.suppressed() ? nullptr : detail::active_pipeline();
  if (to == nullptr) {
    // Nothing records: the span stands for its parent, whose context goes on
    // propagating unchanged (OpenTelemetry's API without an SDK).
    s.context_ = parent;
    return s;
  }
  s.context_.trace = parent.valid() ? parent.trace : trace_id::random();
  s.context_.span = span_id::random();
  s.context_.trace_state = parent.trace_state;
  const bool sampled = to->sampler.should_sample(parent, s.context_.trace);
  // Only the sampled bit may change; the others (random, Level 2) carry on.
  s.context_.flags = static_cast<std::uint8_t>((parent.valid() ? parent.flags & ~flag_sampled : 0) |
                                               (sampled ? flag_sampled : 0));
  if (!sampled) {
    return s;
  }
  auto r = std::make_unique<detail::span_record>();
  r->to = std::move(to);
  span_data& d = r->data;
  d.name = std::string(name);
  d.kind = kind;
  d.context = s.context_;
  if (parent.valid()) {
    d.parent = parent.span;
    d.parent_remote = parent.remote;
  }
  d.start = options.start.value_or(std::chrono::system_clock::now());
  s.record_ = std::move(r);
  for (attribute& a : options.attributes) {
    s.set_attribute(std::move(a.key), std::move(a.value));
  }
  return s;
}

span::span(span&& other) noexcept
    : parent_(std::move(other.parent_)),
      context_(std::move(other.context_)),
      record_(std::move(other.record_)) {}

span& span::operator=(span&& other) noexcept {
  if (this != &other) {
    end();
    parent_ = std::move(other.parent_);
    context_ = std::move(other.context_);
    record_ = std::move(other.record_);
  }
  return *this;
}

span::~span() { end(); }

bool span::recording() const noexcept { return record_ != nullptr && !record_->ended; }

span& span::set_attribute(std::string key, attribute_value value) {
  if (!recording()) {
    return *this;
  }
  std::vector<attribute>& attrs = record_->data.attributes;
  for (attribute& a : attrs) {
    if (a.key == key) {
      a.value = std::move(value);
      return *this;
    }
  }
  if (attrs.size() == detail::max_span_attributes) {
    ++record_->data.dropped_attributes;
    return *this;
  }
  attrs.push_back({std::move(key), std::move(value)});
  return *this;
}

span& span::add_event(std::string name, std::vector<attribute> attributes) {
  if (!recording()) {
    return *this;
  }
  if (record_->data.events.size() == detail::max_span_events) {
    ++record_->data.dropped_events;
    return *this;
  }
  record_->data.events.push_back(
      {std::move(name), std::chrono::system_clock::now(), std::move(attributes)});
  return *this;
}

span& span::set_status(status_code code, std::string message) {
  if (!recording()) {
    return *this;
  }
  // OpenTelemetry: Ok is final; a description only goes with Error.
  span_data& d = record_->data;
  if (d.status == status_code::ok) {
    return *this;
  }
  d.status = code;
  d.status_message = code == status_code::error ? std::move(message) : std::string();
  return *this;
}

span& span::update_name(std::string name) {
  if (recording()) {
    record_->data.name = std::move(name);
  }
  return *this;
}

void span::end() noexcept {
  if (!recording()) {
    return;
  }
  record_->ended = true;
  record_->data.end = std::chrono::system_clock::now();
  record_->to->exporter->on_end(std::move(record_->data));
}

context span::as_context() const {
  return parent_.with_span(context_);
}

}  // namespace tether::trace
