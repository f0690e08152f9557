#pragma once
// The one cross-thread queue of the runtime: any thread pushes, one loop
// thread takes. event_loop::post, message ports and workers use it.
//
//   producer (any thread)                    consumer (the loop thread)
//   ─────────────────────                    ──────────────────────────
//   reserve(capacity)   claims a place       bind(&async)   wakes go to this uv_async_t
//   push(node)          links it; the push   take()         every node pushed so far,
//                       onto an empty queue                 oldest first
//                       wakes the consumer   release(n)     n nodes finished: places free
//   close()             no more places       unbind()       no wake reaches the handle
//
// Bounded: reserve() hands out at most `capacity` places; a place is taken
// before a node is built and given back (release) once the consumer is done
// with it, so at most `capacity` nodes are ever queued or running. A full or
// closed inbox is the producer's to handle (the callers report it).
//
// Lock-free for producers: reserve is a CAS loop on one word (count | closed
// bit), push a CAS loop on the list head (a Treiber stack: the consumer takes
// the whole stack with one exchange and reverses it, so the order of pushes
// is kept, and each producer's pushes stay in its program order). A failed
// CAS means another producer succeeded. Waking is one uv_async_send, made only
// by the push that found the stack empty, so a burst of posts costs one wake.
//
// Closing: push, take, close and closed() are seq_cst, so a producer that
// pushes and then sees the inbox open knows a take() after the close() will
// find its node (the Dekker pattern again, on head and state).
//
// Waking and unbinding: the consumer's uv_async_t must never be signalled
// after it is closed. A waker announces itself in `wakers_` before reading the
// handle pointer; unbind() clears the pointer, then waits until no waker is
// inside (at most one uv_async_send each). seq_cst on both sides (Dekker):
// either the waker sees the cleared pointer, or unbind() sees the waker.

#include <uv.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>

#include <tether/detail/inbox_node.hpp>

#include "core/lock_free_stack.hpp"

namespace tether::detail {

/// A uv_async_t that any thread may signal for as long as it is bound, and
/// that no thread signals once unbind() has returned (see above).
class wake_gate {
 public:
  /// Consumer thread: wakes go to `a` from now on.
  void bind(uv_async_t* a) noexcept { async_.store(a, std::memory_order_seq_cst); }

  /// Consumer thread: no wake reaches the handle after this returns (it may
  /// then be closed). Waits for wakers already inside: each makes at most
  /// one uv_async_send.
  void unbind() noexcept {
    async_.store(nullptr, std::memory_order_seq_cst);
    while (wakers_.load(std::memory_order_seq_cst) != 0) {
      std::this_thread::yield();
    }
  }

  /// Any thread: signals the bound handle, if any (libuv coalesces signals).
  void wake() noexcept {
    wakers_.fetch_add(1, std::memory_order_seq_cst);
    if (uv_async_t* a = async_.load(std::memory_order_seq_cst); a != nullptr) {
      uv_async_send(a);
    }
    wakers_.fetch_sub(1, std::memory_order_seq_cst);
  }

 private:
  std::atomic<uv_async_t*> async_{nullptr};
  std::atomic<std::uint32_t> wakers_{0};
};

class inbox {
 public:
  enum class admit : unsigned char { ok, closed, full };

  inbox() = default;
  inbox(const inbox&) = delete;
  inbox& operator=(const inbox&) = delete;

  /// Any thread: claims a place for one node. `ok` obliges the caller to
  /// push() exactly one node.
  admit reserve(std::uint64_t capacity) noexcept {
    std::uint64_t s = state_.load(std::memory_order_relaxed);
    do {
      if ((s & closed_bit) != 0) {
        return admit::closed;
      }
      if (s >= capacity) {
        return admit::full;
      }
    } while (!state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel,
                                           std::memory_order_relaxed));
    return admit::ok;
  }

  /// Any thread, after a successful reserve(): links `n` (its writes are
  /// published to the consumer) and wakes the consumer if the stack was empty.
  void push(inbox_node* n) noexcept {
    if (push_front<&inbox_node::next>(head_, *n, std::memory_order_seq_cst) == nullptr) {
      wake();
    }
  }

  /// Consumer (and, once closed, anyone: concurrent takers get disjoint
  /// sets): every node pushed so far, oldest first (null: none).
  inbox_node* take() noexcept {
    inbox_node* n = head_.exchange(nullptr, std::memory_order_seq_cst);
    inbox_node* fifo = nullptr;
    while (n != nullptr) {
      inbox_node* next = n->next;
      n->next = fifo;
      fifo = n;
      n = next;
    }
    return fifo;
  }

  /// Consumer: `n` nodes are finished; their places are free again.
  /// Returns the number of places still taken.
  std::uint64_t release(std::uint64_t n = 1) noexcept {
    return (state_.fetch_sub(n, std::memory_order_acq_rel) - n) & count_mask;
  }

  /// Any thread: no more places. True if this call closed it.
  bool close() noexcept {
    return (state_.fetch_or(closed_bit, std::memory_order_seq_cst) & closed_bit) == 0;
  }

  bool closed() const noexcept { return (state_.load(std::memory_order_seq_cst) & closed_bit) != 0; }
  /// Places taken: nodes reserved, queued or running.
  std::uint64_t size() const noexcept { return state_.load(std::memory_order_acquire) & count_mask; }
  /// No node pushed and not yet taken (a reserved node may still be on its way).
  bool empty() const noexcept { return head_.load(std::memory_order_acquire) == nullptr; }
  /// Closed, and every place given back: nothing can arrive any more.
  bool drained() const noexcept { return state_.load(std::memory_order_acquire) == closed_bit; }

  /// The consumer's handle (wake_gate::bind / unbind, on the consumer's
  /// thread); push() signals it.
  wake_gate& gate() noexcept { return gate_; }
  void wake() noexcept { gate_.wake(); }

  /// Frees every node `list` (as returned by take()) holds, unrun.
  static void dispose_all(inbox_node* list) noexcept {
    while (list != nullptr) {
      inbox_node* next = list->next;
      list->dispose(list);
      list = next;
    }
  }

 private:
  static constexpr std::uint64_t closed_bit = std::uint64_t{1} << 63;
  static constexpr std::uint64_t count_mask = closed_bit - 1;

  std::atomic<std::uint64_t> state_{0};  // places taken | closed_bit
  std::atomic<inbox_node*> head_{nullptr};
  wake_gate gate_;
};

/// A FIFO of nodes the consumer has taken but not yet finished (loop
/// thread only): what is left of a batch when the loop stops mid-way.
class inbox_fifo {
 public:
  bool empty() const noexcept { return head_ == nullptr; }
  void append(inbox_node* list) noexcept {
    while (list != nullptr) {
      inbox_node* next = list->next;
      list->next = nullptr;
      (tail_ != nullptr ? tail_->next : head_) = list;
      tail_ = list;
      list = next;
    }
  }
  inbox_node* pop() noexcept {
    inbox_node* n = head_;
    if (n != nullptr) {
      head_ = n->next;
      if (head_ == nullptr) {
        tail_ = nullptr;
      }
      n->next = nullptr;
    }
    return n;
  }
  /// Empties the FIFO, handing back its list.
  inbox_node* release() noexcept {
    inbox_node* n = head_;
    head_ = tail_ = nullptr;
    return n;
  }

 private:
  inbox_node* head_ = nullptr;
  inbox_node* tail_ = nullptr;
};

}  // namespace tether::detail
