#pragma once
// The seam through which the profiler learns the active span: a C function
// that a context layer (tether::trace, src/trace/profiler_seam.cpp) defines
// and the recorder declares weak (recorder.cpp). Neither library links the
// other: in a program without tether::trace the weak reference stays null and
// the recorder writes exactly what it wrote before; with it, the definition
// is kept by the trace target's link options (--undefined), like its HTTP
// instrumentation. Not API: both sides live in this repository.

#include <cstdint>

extern "C" {

/// W3C ids as raw bytes (big-endian, as `traceparent` spells them in hex).
struct tether_span_ids {
  std::uint8_t trace_id[16];
  std::uint8_t span_id[8];
};

/// Fills `out` with the ids of the span active in the calling thread's
/// current async context and returns true, or returns false when no valid
/// span is active. Called from hook callbacks on every thread: it must not
/// allocate, lock, throw or create async resources.
bool tether_active_span_ids(tether_span_ids* out) noexcept;

}  // extern "C"
