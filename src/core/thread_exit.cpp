// The core's thread-exit work: one thread_local with a destructor, registered
// by the first thing a thread keeps that its exit must undo (a counted frame,
// a cached block, a top-level enter_with), so that the hot thread_state
// stays trivially destructible (thread_state.hpp).

#include "core/thread_exit.hpp"

namespace tether::detail {
namespace {

struct thread_exit {
  thread_exit() = default;
  thread_exit(const thread_exit&) = delete;
  thread_exit& operator=(const thread_exit&) = delete;
  ~thread_exit() {
    thread_state& s = tls;
    // First, so that what the steps free, and what later thread_local
    // destructors make, is neither counted nor cached any more.
    s.phase = thread_phase::exiting;
    release_top_level_frame(s);
    merge_frames_at_exit(s);
    flush_block_cache();
  }
};

}  // namespace

bool start_running(thread_state& s) noexcept {
  if (s.phase == thread_phase::fresh) {
    // Constructing it registers its destructor (the C++ runtime's
    // thread-exit list; it does not call operator new).
    static thread_local thread_exit at_exit;
    static_cast<void>(at_exit);
    s.phase = thread_phase::running;
  }
  return s.phase == thread_phase::running;
}

}  // namespace tether::detail
