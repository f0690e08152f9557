// Biased reference counting of context frames: counting a new frame, merging
// the home thread's count, drops from other threads, the queue of frames they
// send home, and the merge at thread exit.
//
// The word `shared` is (other threads' references × frame_one) | flags. Every
// change to it is one atomic read-modify-write, and the frame is freed by the
// one change that leaves it exactly frame_merged: no reference, the home
// count folded in, not waiting in a queue. Nobody holds a reference then, so
// nothing changes the word again and exactly one thread frees.

#include "core/frame_counting.hpp"
#include "core/lock_free_stack.hpp"
#include "core/thread_exit.hpp"

#include <cstdint>
#include <thread>

namespace tether::detail {
namespace {

void finish_if_last(context_frame& f, std::int64_t now) noexcept {
  if (now == frame_merged) {
    destroy_frame(&f);
  }
}

// Takes a frame onto its home thread's released_frames. Not the runtime's
// inbox: the core has no loop to wake, and needs no capacity, since a frame
// is queued at most once (the queued flag). Release: the home thread reads
// next_released after taking the stack.
void push_released(context_frame& f) noexcept {
  push_front<&context_frame::next_released>(f.home->released_frames, f);
}

}  // namespace

// Home thread: folds `biased` into `shared` (taking `unqueue` off the flags
// in the same step) and hands the count to `shared` for good.
void merge_frame(context_frame& f, std::int64_t unqueue) noexcept {
  thread_state& s = *f.home;
  s.counted_frames.erase(f);
  if (f.biased == 0 && f.shared.load(std::memory_order_acquire) == 0) {
    // The common end of a run(): no other thread ever held a reference, and
    // ours were the last, so nobody can change the word: free with no
    // read-modify-write (the acquire pairs with earlier drops' release).
    destroy_frame(&f);
    return;
  }
  f.owner.store(nullptr, std::memory_order_relaxed);
  const std::int64_t add =
      static_cast<std::int64_t>(f.biased) * frame_one + frame_merged - unqueue;
  f.biased = 0;
  // acq_rel: the release publishes this thread's use of the frame to whoever
  // frees it; the acquire sees the other threads' uses if we free it.
  const std::int64_t now = f.shared.fetch_add(add, std::memory_order_acq_rel) + add;
  if ((now & frame_queued) != 0) {
    // Another thread queued it and its push may not have landed yet: the
    // frame is finished when collect_released_frames takes it.
    ++s.frames_in_flight;
    return;
  }
  finish_if_last(f, now);
}

void release_shared_frame(context_frame& f) noexcept {
  std::int64_t old = f.shared.load(std::memory_order_acquire);
  if (old == (frame_one | frame_merged)) {
    // Merged, and ours is the only reference: no other thread can change the
    // word (the acquire pairs with the release of earlier drops).
    destroy_frame(&f);
    return;
  }
  if ((old & frame_merged) != 0) {
    // Merged stays merged: a plain decrement.
    finish_if_last(f, f.shared.fetch_sub(frame_one, std::memory_order_acq_rel) - frame_one);
    return;
  }
  // Not merged: the home thread still counts references. Going below zero
  // means we dropped one it took; the first to do so queues the frame home
  // in the same step, so the home thread cannot merge and free it meanwhile.
  std::int64_t next = 0;
  do {
    next = old - frame_one;
    if ((old & (frame_merged | frame_queued)) == 0 && next < 0) {
      next |= frame_queued;
    }
  } while (!f.shared.compare_exchange_weak(old, next, std::memory_order_acq_rel,
                                           std::memory_order_acquire));
  if ((next & frame_queued) != 0 && (old & frame_queued) == 0) {
    push_released(f);
    return;
  }
  finish_if_last(f, next);
}

void collect_released_frames(thread_state& s) noexcept {
  // acquire: pairs with the pushes' release (next_released, their drops).
  context_frame* f = s.released_frames.exchange(nullptr, std::memory_order_acquire);
  while (f != nullptr) {
    context_frame* next = f->next_released;
    if (f->owner.load(std::memory_order_relaxed) == &s) {
      merge_frame(*f, frame_queued);
    } else {
      // Merged while its push was on the way: only the flag is left.
      --s.frames_in_flight;
      finish_if_last(*f, f->shared.fetch_sub(frame_queued, std::memory_order_acq_rel) -
                             frame_queued);
    }
    f = next;
  }
}

void merge_frames_at_exit(thread_state& s) noexcept {
  // A frame another thread has just queued is waited for: its push must land
  // before this thread's state is gone, and it is a few instructions behind
  // the flag that announced it.
  collect_released_frames(s);
  while (context_frame* f = s.counted_frames.front()) {
    merge_frame(*f);
  }
  while (s.frames_in_flight != 0) {
    std::this_thread::yield();
    collect_released_frames(s);
  }
}

}  // namespace tether::detail
