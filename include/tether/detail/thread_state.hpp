#pragma once
// Not API. May change without notice.
//
// All per-thread core state lives in one constinit thread_local. It is
// trivially destructible and constant-initialised, so every access compiles to
// a plain %fs-relative load: no lazy-init guard, no TLS wrapper call.

#include <cstdint>

namespace tether {

using async_id = std::uint64_t;
class resource;

namespace detail {

struct context_frame;

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

}  // namespace detail
}  // namespace tether
