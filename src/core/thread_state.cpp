// The per-thread execution context and id allocation.

#include <tether/detail/thread_state.hpp>

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <type_traits>

#include <tether/resource.hpp>

namespace tether::detail {

constinit thread_local thread_state tls{};
// What lets every access be a plain %fs-relative load (thread_state.hpp).
static_assert(std::is_trivially_destructible_v<thread_state>);

namespace {

// Id 1 is the main thread's top level, so the counter starts at 2 (as in
// Node, where the first id allocated after bootstrap is 2).
std::atomic<async_id> next_id_block{2};

// Ids are handed to threads in blocks: allocating one is a thread-local
// increment, and a single-threaded program still sees 2, 3, 4, ... A thread
// that exits wastes the rest of its block; ids are 64-bit, so that is free.
constexpr async_id id_block_size = 256;

bool is_main_thread() noexcept {
  // On Linux the main thread's tid is the process id; this holds before main
  // (static initialisers) and needs no registration.
  return static_cast<pid_t>(::syscall(SYS_gettid)) == ::getpid();
}

}  // namespace

async_id refill_ids(thread_state& s) noexcept {
  // relaxed: uniqueness comes from the atomicity of the RMW itself; no other
  // memory is published through this counter.
  s.next_id = next_id_block.fetch_add(id_block_size, std::memory_order_relaxed);
  s.id_limit = s.next_id + id_block_size;
  return s.next_id++;
}

async_id assign_top_level_id(thread_state& s) noexcept {
  // Only reached at a top level whose id was never asked for: inside a
  // callback_scope execution_id is the resource's (never 0).
  s.execution_id = is_main_thread() ? async_id{1} : new_async_id(s);
  return s.execution_id;
}

}  // namespace tether::detail

namespace tether {
namespace {

// What execution_async_resource() returns at a thread's top level: one stable
// object per thread, never reported to hooks.
class top_level_resource final : public resource {
 public:
  top_level_resource() noexcept {
    detail::resource_access::init(*this, "TOPLEVEL", execution_async_id(), 0, true);
  }
};

}  // namespace

resource& execution_async_resource() noexcept {
  detail::thread_state& s = detail::tls;
  if (s.current != nullptr) {
    return *s.current;
  }
  thread_local top_level_resource top_level;
  return top_level;
}

}  // namespace tether
