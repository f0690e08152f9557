#pragma once
// Not API. May change without notice.
//
// All per-thread core state lives in one constinit thread_local. It is
// trivially destructible and constant-initialised, so every access compiles to
// a plain %fs-relative load: no lazy-init guard, no TLS wrapper call.

#include <atomic>
#include <cstdint>

#include <tether/detail/intrusive_list.hpp>

namespace tether {

using async_id = std::uint64_t;
class resource;

namespace detail {

struct context_frame;
struct frame_list_tag;

/// Where a thread is in its life, for what the core must undo when it exits
/// (the frames it still counts, a top-level enter_with's frame, its cached
/// blocks). One thread_local destructor does all of it, in one stated order
/// (src/core/thread_exit.cpp).
enum class thread_phase : std::uint8_t {
  fresh,    // nothing to undo yet: the exit work is not registered
  running,  // the exit work is registered
  exiting,  // the exit work has started: new frames are shared from birth
            // and freed blocks go straight to operator delete
};

struct thread_state {
  // 0 until the thread's top-level id is first asked for (assigned lazily, see
  // assign_top_level_id); inside a callback_scope, the resource's id.
  async_id execution_id = 0;
  async_id trigger_id = 0;
  resource* current = nullptr;  // null at the top level
  // The context frame seen by get_store(). Borrowed: whoever installed it (a
  // resource inside its callback_scope, a run() on the stack, or `owned`
  // below) keeps it alive for as long as it is installed.
  const context_frame* frame = nullptr;
  // A frame installed by enter_with() in the current callback scope (or at the
  // top level). Owned here; a callback_scope releases it when it ends.
  context_frame* owned = nullptr;
  // Ids are taken from a process-wide counter in blocks, so allocating one is
  // a thread-local increment and ids still increase on each thread.
  async_id next_id = 0;
  async_id id_limit = 0;
  // > 0 while a hook callback runs on this thread: resources created then are
  // hidden from hooks for their whole life.
  std::uint32_t hook_depth = 0;

  thread_phase phase = thread_phase::fresh;  // moved on by running() and the exit work

  // Biased reference counting of the frames this thread makes (see
  // context_frame.hpp).
  // Frames queued here and merged at a time their push was still to land:
  // thread exit waits for them (context_frame.cpp).
  std::uint32_t frames_in_flight = 0;
  // The frames made here that `biased` still counts (touched by this thread only).
  intrusive_list<context_frame, frame_list_tag> counted_frames;
  // Frames other threads took below zero, for this thread to merge (a Treiber
  // stack: they push, this thread takes the whole stack).
  std::atomic<context_frame*> released_frames{nullptr};
};

extern constinit thread_local thread_state tls;

async_id refill_ids(thread_state& s) noexcept;
async_id assign_top_level_id(thread_state& s) noexcept;

inline async_id new_async_id(thread_state& s) noexcept {
  if (s.next_id == s.id_limit) [[unlikely]] {
    return refill_ids(s);
  }
  return s.next_id++;
}

/// Registers the thread's exit work on its first call; false once the
/// thread is exiting. Out of line: the registration is a thread_local with
/// a destructor, which the hot state must not be.
bool start_running(thread_state& s) noexcept;

/// Whether the thread may still keep per-thread resources that its exit
/// work undoes (counted frames, cached blocks): true unless it is exiting.
/// Call it before keeping one; the first call registers the exit work.
inline bool running(thread_state& s) noexcept {
  return s.phase == thread_phase::running || start_running(s);
}

}  // namespace detail
}  // namespace tether
