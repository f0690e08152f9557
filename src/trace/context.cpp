// trace::context and the storage that carries it.

#include <tether/trace.hpp>

#include "trace/span_record.hpp"

namespace tether::trace {

namespace {

const span_context& invalid_span_context() noexcept {
  static const span_context none;
  return none;
}

const trace::baggage& empty_baggage() noexcept {
  static const trace::baggage none;
  return none;
}

}  // namespace

async_local_storage<context>& storage() noexcept {
  static async_local_storage<context> s;
  return s;
}

const context& current() noexcept {
  static const context root;
  const context* c = storage().get_store();
  return c != nullptr ? *c : root;
}

const span_context& context::span() const noexcept {
  return state_ != nullptr ? state_->span : invalid_span_context();
}

const trace::baggage& context::baggage() const noexcept {
  return state_ != nullptr ? state_->baggage : empty_baggage();
}

bool context::suppressed() const noexcept { return state_ != nullptr && state_->suppressed; }

namespace {
// A copy of `state` (or a fresh one) to change one field of: contexts are
// immutable, so every with_* builds a new state.
detail::context_state copy_of(const std::shared_ptr<const detail::context_state>& state) {
  return state != nullptr ? *state : detail::context_state{};
}
}  // namespace

context context::make(detail::context_state&& s) {
  context c;
  c.state_ = std::make_shared<const detail::context_state>(std::move(s));
  return c;
}

context context::with_span(span_context s) const {
  detail::context_state next = copy_of(state_);
  next.span = std::move(s);
  return make(std::move(next));
}

context context::with_baggage(trace::baggage b) const {
  detail::context_state next = copy_of(state_);
  next.baggage = std::move(b);
  return make(std::move(next));
}

context context::with_suppressed(bool on) const {
  detail::context_state next = copy_of(state_);
  next.suppressed = on;
  return make(std::move(next));
}

context detail::extract_lines(const context& base, std::span<const std::string_view> traceparent,
                              std::span<const std::string_view> tracestate,
                              std::span<const std::string_view> baggage_lines) {
  context c = base;
  // Exactly one traceparent line (two mean two parents: start over, as the
  // W3C harness expects), tracestate only under a valid one.
  std::optional<span_context> parent;
  if (traceparent.size() == 1) {
    parent = parse_traceparent(traceparent.front());
  }
  if (parent) {
    if (std::optional<std::string> state = parse_tracestate(tracestate)) {
      parent->trace_state = std::move(*state);
    }
    c = c.with_span(std::move(*parent));
  } else if (c.span().valid()) {
    c = c.with_span(span_context{});
  }
  if (!baggage_lines.empty()) {
    c = c.with_baggage(trace::baggage::parse(baggage_lines));
  }
  return c;
}

}  // namespace tether::trace
