#pragma once
// Biased reference counting of context frames: the slow paths behind
// acquire_frame/release_frame (include/tether/detail/context_frame.hpp says
// how the counts work).

#include <tether/detail/context_frame.hpp>

namespace tether::detail {

/// A frame just built by this thread: its one reference is counted here, in
/// the plain count (or in the shared word if the thread is exiting).
void count_new_frame(context_frame& f) noexcept;

}  // namespace tether::detail
