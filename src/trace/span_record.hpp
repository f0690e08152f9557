#pragma once
// Not API. A recording span's state and a context's.

#include <memory>
#include <mutex>

#include <tether/trace.hpp>
#include <tether/trace_exporter.hpp>

namespace tether::trace::detail {

/// OpenTelemetry's default span limits: beyond them, attributes and events
/// are counted as dropped, so a span's memory stays bounded.
inline constexpr std::size_t max_span_attributes = 128;
inline constexpr std::size_t max_span_events = 128;

struct pipeline {
  std::shared_ptr<trace::exporter> exporter;
  trace::sampler sampler;
};

struct span_record {
  std::shared_ptr<pipeline> to;  // where it goes when it ends
  span_data data;
  bool ended = false;
};

struct context_state {
  span_context span;
  trace::baggage baggage;
  bool suppressed = false;
};

/// The installed pipeline, or null (no provider: nothing records).
std::shared_ptr<pipeline> active_pipeline() noexcept;

}  // namespace tether::trace::detail
