#pragma once
// What the core undoes when a thread exits, step by step. thread_exit.cpp
// runs the steps, in this order, from the one thread_local destructor that
// start_running() registers.

#include <tether/detail/thread_state.hpp>

namespace tether::detail {

/// 1. Releases a frame installed by enter_with() at the thread's top level
/// (nothing ends that scope before the thread does). context_frame.cpp.
void release_top_level_frame(thread_state& s) noexcept;

/// 2. Merges every frame the thread still counts, so that other threads can
/// free them, and waits for frames sent home whose push has not landed (it
/// writes into `s`). frame_counting.cpp.
void merge_frames_at_exit(thread_state& s) noexcept;

/// 3. Gives the thread's cached blocks back to operator delete: last, since
/// steps 1 and 2 free frames. block_cache.cpp.
void flush_block_cache() noexcept;

}  // namespace tether::detail
