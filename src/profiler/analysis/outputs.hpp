#pragma once
// What tether-prof makes of a trace. The converters are trace_consumers, so
// they stream (memory bounded by the resources alive at once); the summary
// and the HTML report are views of a profile_model.

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>

#include "profiler/analysis/profile_model.hpp"
#include "profiler/analysis/trace_reader.hpp"

namespace tether::profiler::analysis {

/// A text table per resource type: count, callbacks, time in callbacks
/// (total / mean / max), time waiting, pending at exit; then the trace's
/// totals and its losses.
void write_summary(const profile_model& model, std::ostream& out);

/// The single-file HTML report (assets embedded; no network).
void write_html_report(const profile_model& model, std::ostream& out);

/// The report's data as JSON (what the page embeds), for tests and tools.
std::string report_json(const profile_model& model);

/// Chrome trace JSON shaped like Node's `node.async_hooks` trace events:
/// init/destroy as async "b"/"e" named after the type, before/after as
/// "<TYPE>_CALLBACK" "b"/"e", id = the async id in hex.
std::unique_ptr<trace_consumer> make_chrome_json_writer(std::ostream& out);

/// Perfetto protobuf (TrackEvent, interned names), streamed.
struct perfetto_stats {
  std::uint64_t packets = 0;
  std::uint64_t lifetimes_not_drawn = 0;  // past the lanes a type may use
};
std::unique_ptr<trace_consumer> make_perfetto_writer(std::ostream& out, perfetto_stats* stats = nullptr);

/// Durations for people: "812 ns", "4.1 us", "12.3 ms", "2.05 s".
std::string format_duration(std::uint64_t ns);

}  // namespace tether::profiler::analysis
