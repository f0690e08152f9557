// tether::trace's side of the profiler's span seam (src/profiler/span_source.hpp):
// tether::profiler declares this function weak and, when it is defined,
// tags each callback it records with the span active then. Neither library
// links the other; the trace target's link options keep this file in a
// static link, though nothing in tether::trace calls it.

#include <cstring>

#include <tether/trace.hpp>

#include "profiler/span_source.hpp"

extern "C" bool tether_active_span_ids(tether_span_ids* out) noexcept {
  // Called from the profiler's `before` hook, with the callback's context
  // already restored: get_store() is a pointer load, nothing allocates.
  const tether::trace::context* c = tether::trace::storage().get_store();
  if (c == nullptr || !c->span().valid()) {
    return false;
  }
  const tether::trace::span_context& s = c->span();
  std::memcpy(out->trace_id, s.trace.bytes.data(), sizeof out->trace_id);
  std::memcpy(out->span_id, s.span.bytes.data(), sizeof out->span_id);
  return true;
}
