#pragma once
// The recorder's internal API, shared by the hot path (recorder.cpp), the
// writer thread (writer.cpp), the exit paths (exit_paths.cpp) and the public
// functions (profiler.cpp).
//
//   thread A ──hook──► event_ring A ─┐
//   thread B ──hook──► event_ring B ─┼──► writer thread ──► trace file
//   thread C ──hook──► event_ring C ─┘    (every flush_interval, or when a
//                                          ring is half full)
//
// A recording is a *generation*: each thread attaches a fresh ring the first
// time it records in a new generation, so a ring's size always matches the
// running recording's options and nothing from a previous one leaks in.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <tether/profiler.hpp>

#include "profiler/event_ring.hpp"
#include "profiler/trace_format.hpp"

namespace tether::profiler::detail {

// --- type names (recorder.cpp) ---------------------------------------------

/// Type ids are dense from 1; 0 stands for "more distinct types than the
/// table holds" (max_types), so the table's memory is bounded too.
inline constexpr std::uint32_t max_types = 1u << 16;
inline constexpr std::string_view overflow_type_name = "(type table full)";

/// The interned id of `type` (takes a lock only the first time a thread
/// meets a given type string).
std::uint32_t intern_type(std::string_view type) noexcept;
/// How many ids exist (ids 1..count-1 have names); acquire.
std::uint32_t type_count() noexcept;
/// The name of an id below type_count().
std::string_view type_name(std::uint32_t id) noexcept;

// --- rings and threads (recorder.cpp) ----------------------------------------

struct thread_ring : event_ring {
  thread_ring(std::size_t capacity, std::uint32_t index, std::uint64_t tid, std::uint64_t gen)
      : event_ring(capacity, index, tid), generation(gen) {}
  const std::uint64_t generation;
};

/// 0 while nothing records; otherwise the running recording's generation.
extern std::atomic<std::uint64_t> active_generation;

/// The rings attached in the running generation (the writer's view).
struct ring_registry {
  std::mutex mutex;
  std::vector<std::shared_ptr<thread_ring>> rings;  // guarded by mutex
  std::uint32_t next_index = 0;                     // guarded by mutex
  std::size_t capacity = 0;                         // guarded by mutex
  std::uint64_t generation = 0;                     // guarded by mutex
  std::size_t threads_seen = 0;                     // guarded by mutex
  std::uint64_t retired_dropped = 0;                // drops of rings already freed; guarded
};
ring_registry& registry() noexcept;

/// Events lost because their thread was already exiting (its ring gone).
extern std::atomic<std::uint64_t> dropped_at_thread_exit;

/// Records one event on this thread (hot path; never blocks, never throws).
void record(format::kind k, std::uint64_t id, std::uint64_t trigger = 0, std::uint32_t type = 0) noexcept;

/// The calling thread's name (/proc/self/task/<tid>/comm), "" if unknown.
std::string thread_name(std::uint64_t tid);
std::uint64_t current_tid() noexcept;

// --- the recording session (writer.cpp) --------------------------------------

/// Opens the file, writes its header, starts the writer and the hook.
void start_session(const options& opts, bool from_environment);
/// Flushes and closes. `reason`/`message` go into the end record. Safe to
/// call when nothing runs (returns zeros) and from any thread except the
/// writer's.
stats stop_session(format::end_reason reason, std::string_view message);
bool session_running() noexcept;
stats session_stats() noexcept;
std::string session_path();

/// Wakes the writer early (a ring is half full). Async-signal-safe.
void wake_writer() noexcept;

/// From a signal handler: asks the writer to flush everything and write the
/// end record, and waits (bounded) until it has. Async-signal-safe.
void flush_from_signal(int signo) noexcept;

/// In a forked child: forget the parent's recording without touching it.
void abandon_after_fork() noexcept;
/// pthread_atfork handlers (they also call abandon_after_fork in the child).
void before_fork() noexcept;
void after_fork_in_parent() noexcept;
void after_fork_in_child() noexcept;

/// Tests only: the writer sleeps this long before each pass (a slow disk),
/// so the rings overflow and loss counting can be checked.
void set_writer_stall_for_testing(std::chrono::milliseconds stall) noexcept;

// --- exit paths (exit_paths.cpp) ---------------------------------------------

/// Installs, once, the atexit / quick_exit / std::terminate / fork hooks,
/// and with `signals` the SIGINT/SIGTERM/SIGABRT handlers (only where the
/// program left the default disposition).
void install_exit_paths(bool signals);

}  // namespace tether::profiler::detail
