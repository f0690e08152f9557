// Taking a trace (raw), and turning it into frames, hops and text.

#include <tether/stack_trace.hpp>

#include <algorithm>
#include <cstdio>
#include <string_view>
#include <utility>

#include <tether/detail/diagnostics.hpp>
#include <tether/detail/thread_state.hpp>

#include "stack_trace/capture.hpp"
#include "stack_trace/stack_walk.hpp"
#include "stack_trace/symbolizer.hpp"
#include "stack_trace/trace_data.hpp"

namespace tether::detail {

trace_data::~trace_data() {
  stack_table::instance().release(stack);
  release(chain);
}

std::shared_ptr<const trace_data> take_trace(std::uintptr_t frame, std::size_t skip) {
  auto data = std::make_shared<trace_data>();
  const std::size_t hops = settings.hops.load(std::memory_order_relaxed);
  data->hops = hops;
  data->stack = capture_stack(frame, skip, {});
  resource* current = tls.current;
  if (current == nullptr) {
    return data;
  }
  data->in_resource = true;
  data->current_id = current->id();
  data->current_type = std::string(current->type());
  if (const await_walk_fn walk = await_walker.load(std::memory_order_acquire)) {
    const resource* awaited = current;
    await_link link;
    for (std::size_t i = 0; i < hops && walk(*awaited, link); ++i) {
      data->awaiters.push_back({link.awaiter->id(), std::string(link.awaiter->type()),
                                reinterpret_cast<std::uintptr_t>(link.resume_address)});
      awaited = link.awaiter;
    }
  }
  // The current resource is alive while its callback runs, and its slot holds
  // a reference: taking one more is safe.
  if (void* slot = resource_access::observer_data(*current)) {
    trace_record* record = record_of(slot);
    retain(*record);
    data->chain = record;
    data->current_recorded = !inherited(slot);
  }
  return data;
}

namespace {

void append_frames(const interned_stack* stack, bool first_exact, std::vector<stack_frame>& out) {
  if (stack == nullptr) {
    return;
  }
  symbolizer& s = symbolizer::instance();
  for (std::size_t i = 0; i < stack->shown(); ++i) {
    s.symbolize(stack->addresses()[i], first_exact && i == 0, out);
  }
}

void append_hex(std::string& out, std::uintptr_t value) {
  char buffer[2 + 2 * sizeof value + 1];
  std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
  out += buffer;
}

void append_frame(std::string& out, const stack_frame& f) {
  out += "    at ";
  if (f.function.empty()) {
    append_hex(out, f.address);
  } else {
    out += f.function;
  }
  out += " (";
  if (!f.file.empty()) {
    out += f.file;
    if (f.line != 0) {
      out += ':';
      out += std::to_string(f.line);
    }
  } else if (!f.module.empty()) {
    out += f.module;
  } else {
    out += "unknown module";
  }
  out += ")\n";
}

/// Returns how many frames were printed. A frame that repeats the one just
/// printed (same function and line: a coroutine's body right after the call
/// that started it) is printed once.
std::size_t append_visible(std::string& out, const std::vector<stack_frame>& frames,
                           bool show_internal) {
  std::size_t printed = 0;
  const stack_frame* last = nullptr;
  for (const stack_frame& f : frames) {
    if (!show_internal && f.internal) {
      continue;
    }
    if (last != nullptr && !f.function.empty() && f.function == last->function &&
        f.file == last->file && f.line == last->line) {
      continue;
    }
    append_frame(out, f);
    last = &f;
    ++printed;
  }
  return printed;
}

}  // namespace
}  // namespace tether::detail

namespace tether {

async_trace::async_trace(std::shared_ptr<const detail::trace_data> data) noexcept
    : data_(std::move(data)) {}

std::vector<stack_frame> async_trace::frames() const {
  std::vector<stack_frame> out;
  if (data_ != nullptr) {
    detail::append_frames(data_->stack, data_->first_address_exact, out);
  }
  return out;
}

std::vector<async_hop> async_trace::hops() const {
  std::vector<async_hop> out;
  if (data_ == nullptr) {
    return out;
  }
  const detail::trace_data& d = *data_;
  for (const detail::trace_data::awaiter& a : d.awaiters) {
    async_hop hop;
    hop.what = async_hop::kind::awaited_by;
    hop.type = a.type;
    hop.id = a.id;
    hop.recorded = a.resume_address != 0;
    if (hop.recorded) {
      detail::symbolizer::instance().symbolize(a.resume_address, false, hop.frames);
    }
    out.push_back(std::move(hop));
  }
  std::size_t count = 0;
  if (d.in_resource && !d.current_recorded && d.hops > 0) {
    async_hop hop;
    hop.type = d.current_type;
    hop.id = d.current_id;
    out.push_back(std::move(hop));
    ++count;
  }
  for (const detail::trace_record* r = d.chain; r != nullptr && count < d.hops;
       r = r->parent, ++count) {
    async_hop hop;
    hop.id = r->id;
    if (r->stack != nullptr) {
      hop.type = std::string(r->stack->type());
      hop.recorded = r->stack->depth() > 0;
      detail::append_frames(r->stack, false, hop.frames);
    }
    out.push_back(std::move(hop));
  }
  return out;
}

bool async_trace::truncated() const noexcept {
  if (data_ == nullptr) {
    return false;
  }
  std::size_t count = data_->in_resource && !data_->current_recorded ? 1 : 0;
  for (const detail::trace_record* r = data_->chain; r != nullptr; r = r->parent, ++count) {
    if (count == data_->hops || (r->parent == nullptr && r->truncated)) {
      return true;
    }
  }
  return false;
}

[[gnu::noinline]] async_trace async_stack_trace() {
  // Skip nothing: the first return address is the caller's.
  return async_trace(detail::take_trace(TETHER_CURRENT_FRAME(), 0));
}

std::string to_string(const async_trace& trace) {
  return to_string(trace, get_stack_trace_options());
}

std::string to_string(const async_trace& trace, const stack_trace_options& options) {
  std::string out;
  if (trace.empty()) {
    return out;
  }
  const bool show = options.show_internal_frames;
  detail::append_visible(out, trace.frames(), show);
  // Hops the runtime made on its own (all frames internal: the requests of
  // fs::read_file, each created in the callback of the one before) are
  // listed on one line, "-- FSREQCALLBACK 6, 5, 4 created inside tether".
  std::string internal_run;
  std::string_view run_type;
  auto flush_run = [&] {
    if (!internal_run.empty()) {
      out += "-- " + internal_run + " created inside tether\n";
      internal_run.clear();
      run_type = {};
    }
  };
  for (const async_hop& hop : trace.hops()) {
    const std::string type = hop.type.empty() ? std::string("(unknown type)") : hop.type;
    const bool awaiter = hop.what == async_hop::kind::awaited_by;
    if (!show && !awaiter && hop.recorded &&
        std::none_of(hop.frames.begin(), hop.frames.end(),
                     [](const stack_frame& f) { return !f.internal; })) {
      if (!internal_run.empty()) {
        internal_run += ", ";
      }
      if (type != run_type) {
        internal_run += type + " ";
      }
      internal_run += std::to_string(hop.id);
      run_type = hop.type;
      continue;
    }
    flush_run();
    out += "-- ";
    out += awaiter ? "awaited by " : "";
    out += type + " " + std::to_string(hop.id);
    if (!hop.recorded) {
      out += " (no stack recorded)\n";
      continue;
    }
    out += awaiter ? " at:\n" : " created at:\n";
    if (detail::append_visible(out, hop.frames, show) == 0) {
      out += "    (only internal frames; show_internal_frames prints them)\n";
    }
  }
  flush_run();
  if (trace.truncated()) {
    out += "-- older hops not kept (hop limit " + std::to_string(trace.data()->hops) + ")\n";
  }
  return out;
}

}  // namespace tether
