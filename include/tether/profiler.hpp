#pragma once
// tether::profiler: records every async resource's life (init, before, after,
// destroy, promise_resolve) into a compact trace file, with bounded memory and
// without ever blocking the program. `tether-prof` turns the file into a
// Perfetto trace, a Chrome JSON trace, a text summary or a self-contained
// HTML report (docs/profiler.md).
//
// Zero-code use: any program that links tether::profiler records when the
// environment variable TETHER_PROFILE=<path> is set ("%p" in the path becomes
// the process id); the trace is flushed when the program exits, when an
// uncaught exception terminates it, and on SIGINT/SIGTERM/SIGABRT.
//
// Explicit use:
//
//   tether::profiler::start({.path = "run.tether"});
//   ... run the workload ...
//   tether::profiler::stats s = tether::profiler::stop();
//   // s.dropped > 0: the writer fell behind and that many events were lost
//   // (the report shows where)

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tether::profiler {

struct options {
  /// The trace file to write (truncated). "%p" is replaced by the process id.
  std::string path;
  /// Capacity of each thread's event buffer, in events (32 bytes each).
  /// When a thread's buffer is full, its events are dropped and counted, so
  /// memory is bounded by threads x buffer_events x 32 bytes. At least 64.
  std::size_t buffer_events = std::size_t{1} << 16;
  /// How often the background writer empties the buffers (it also wakes as
  /// soon as a buffer is half full).
  std::chrono::milliseconds flush_interval{20};
};

/// What a recording has done so far.
struct stats {
  std::uint64_t recorded = 0;       // events written (or about to be) to the trace
  std::uint64_t dropped = 0;        // events lost because a buffer was full
  std::uint64_t bytes_written = 0;  // trace file size so far
  std::size_t threads = 0;          // threads that recorded at least one event
};

/// Starts recording into `opts.path`. Throws tether::usage_error if a
/// recording is already running or the options are invalid, and
/// std::system_error if the file cannot be created.
void start(const options& opts);

/// Stops recording: every buffered event is written, the trace is closed and
/// its final statistics are returned. Does nothing (and returns zeros) when
/// no recording is running. Events that other threads record while stop()
/// runs may be lost; stop from a quiet point for an exact trace.
stats stop();

/// True between start() and stop().
bool running() noexcept;

/// The statistics of the running recording (zeros when none runs).
stats current_stats() noexcept;

/// The trace file being written, with "%p" expanded (empty when none).
std::string current_path();

}  // namespace tether::profiler
