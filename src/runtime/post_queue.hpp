#pragma once
// event_loop::post's queue: an inbox (inbox.hpp) of POST nodes, consumed by
// one uv_async_t on the loop. Shared (std::shared_ptr) by the event_loop and
// every loop_executor / loop_hold, so posting to a loop that has ended finds
// a closed inbox instead of freed memory.

#include <uv.h>

#include <atomic>
#include <cstddef>
#include <memory>

#include <tether/detail/unique_function.hpp>

#include "runtime/inbox.hpp"
#include "runtime/loop_core.hpp"

namespace tether::detail {

class post_queue final : public handle_owner {
 public:
  explicit post_queue(loop_core& loop);
  ~post_queue();
  post_queue(const post_queue&) = delete;
  post_queue& operator=(const post_queue&) = delete;

  /// Any thread (event_loop::post).
  bool submit(unique_function<void()> fn);
  bool ended() const noexcept { return inbox_.closed(); }

  /// Loop thread: posts left from an interrupted run, or queued before
  /// run(), keep the loop alive until they have run.
  void before_run() noexcept;

  /// Loop thread: one more hold (event_loop::hold()).
  void acquire_hold();
  /// Any thread: one hold fewer.
  void release_hold() noexcept;

  void set_capacity(std::size_t n) noexcept { capacity_.store(n, std::memory_order_relaxed); }
  std::size_t capacity() const noexcept { return capacity_.load(std::memory_order_relaxed); }
  bool on_loop_thread() const noexcept { return current_core_if_any() == loop_; }

  /// The loop's destructor: the inbox closes, what never ran is dropped
  /// (destroy emitted, callback destroyed unrun), the handle closes.
  void close_on_teardown() noexcept override;

 private:
  static void on_async(uv_async_t* h);
  void run_posts() noexcept;
  void update_ref() noexcept;

  inbox inbox_;
  inbox_fifo batch_;  // taken, not yet run (a callback threw mid-batch)
  uv_async_t async_{};
  loop_core* loop_;   // null once the loop has ended
  std::atomic<std::size_t> capacity_;
  std::atomic<std::size_t> holds_{0};
  bool refed_ = false;
};

std::shared_ptr<post_queue> make_post_queue(loop_core& loop);
void before_run(post_queue& q) noexcept;

}  // namespace tether::detail
