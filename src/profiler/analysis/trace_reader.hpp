#pragma once
// Reading a tether trace file (src/profiler/trace_format.hpp) as one stream of
// events in timestamp order across all threads, with bounded memory: the
// file holds each thread's events in order but interleaves threads one
// writer cycle at a time, and event_merger (trace_reader.cpp) reorders within
// that window only.

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "profiler/trace_format.hpp"

namespace tether::profiler::analysis {

/// A file that is not a tether trace, or is damaged before its first event.
class trace_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct trace_info {
  std::uint64_t pid = 0;
  std::uint64_t start_unix_ns = 0;
  std::uint64_t start_ns = 0;  // CLOCK_MONOTONIC, the time base of every event
  std::uint64_t buffer_events = 0;
  std::string clock;
  std::string command;
};

struct thread_info {
  std::uint32_t index = 0;  // dense, in order of each thread's first event
  std::uint64_t tid = 0;
  std::string name;
};

struct trace_event {
  std::uint64_t ts = 0;  // CLOCK_MONOTONIC ns
  std::uint64_t id = 0;  // for `lost`: the number of events dropped there
  std::uint64_t trigger = 0;   // init only
  std::uint32_t type = 0;      // init only
  std::uint32_t stack = 0;     // init only; 0 = none
  std::uint32_t thread = 0;
  format::kind kind = format::kind::init;
};

struct trace_end {
  bool present = false;  // false: the file ends without an end record (killed)
  std::uint64_t end_ns = 0;
  std::uint64_t recorded = 0;
  std::uint64_t dropped = 0;
  format::end_reason reason = format::end_reason::stopped;
  std::string message;
};

/// What read_trace reports, in this order: info first, then threads and types
/// (each before the first event that uses it), events in timestamp order,
/// end last (always called, with present=false for a cut-short file).
class trace_consumer {
 public:
  virtual ~trace_consumer() = default;
  virtual void on_info(const trace_info&) {}
  virtual void on_thread(const thread_info&) {}
  virtual void on_type(std::uint32_t, std::string_view) {}
  virtual void on_event(const trace_event&) = 0;
  virtual void on_end(const trace_end&) {}
};

/// What the reader noticed about the file itself.
struct read_result {
  std::uint64_t bytes = 0;
  std::uint64_t events = 0;       // excluding `lost` markers
  std::uint64_t lost_events = 0;  // sum of `lost` markers
  std::uint64_t late_events = 0;  // stamped earlier than events already delivered (clamped)
  bool truncated = false;         // the last record is incomplete
};

/// Progress: (bytes read, file size). Called every few MB.
using progress_fn = std::function<void(std::uint64_t, std::uint64_t)>;

/// Reads `path` into `consumer`. Throws trace_error (naming the file and the
/// problem) if it is not a tether trace or cannot be opened.
read_result read_trace(const std::string& path, trace_consumer& consumer, const progress_fn& progress = {});

/// Reads several consumers in one pass (a report and a Perfetto trace from a
/// single read of a large file).
class trace_fanout final : public trace_consumer {
 public:
  explicit trace_fanout(std::vector<trace_consumer*> to) : to_(std::move(to)) {}
  void on_info(const trace_info& i) override {
    for (auto* c : to_) c->on_info(i);
  }
  void on_thread(const thread_info& t) override {
    for (auto* c : to_) c->on_thread(t);
  }
  void on_type(std::uint32_t id, std::string_view n) override {
    for (auto* c : to_) c->on_type(id, n);
  }
  void on_event(const trace_event& e) override {
    for (auto* c : to_) c->on_event(e);
  }
  void on_end(const trace_end& e) override {
    for (auto* c : to_) c->on_end(e);
  }

 private:
  std::vector<trace_consumer*> to_;
};

}  // namespace tether::profiler::analysis
