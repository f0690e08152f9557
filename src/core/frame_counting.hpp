#pragma once
// Biased reference counting of context frames: the slow paths behind
// acquire_frame/release_frame (include/tether/detail/context_frame.hpp says
// how the counts work).

#include <tether/detail/context_frame.hpp>

namespace tether::detail {

/// Thread `s` (this one) merges, and frees if nobody else holds them, the
/// frames other threads sent home. Called at the home thread's safe points:
/// when it makes a frame, and on every turn of a runtime loop (its check
/// phase), so a loop thread that makes no frames keeps none queued.
inline void collect_frames_sent_home(thread_state& s) noexcept {
  if (s.released_frames.load(std::memory_order_relaxed) != nullptr) [[unlikely]] {
    collect_released_frames(s);
  }
}

/// A frame just built by thread `s` (this one): its one reference is counted
/// here, in the plain count (or in the shared word if the thread is exiting).
inline void count_new_frame(context_frame& f, thread_state& s) noexcept {
  collect_frames_sent_home(s);
  // running(): the thread's exit merges what it counts (thread_exit.cpp).
  if (running(s)) [[likely]] {
    f.home = &s;
    f.owner.store(&s, std::memory_order_relaxed);
    f.biased = 1;
    s.counted_frames.push_back(f);
  } else {
    f.shared.store(frame_one | frame_merged, std::memory_order_relaxed);
  }
}

}  // namespace tether::detail
