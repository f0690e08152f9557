#pragma once
// Node's timer lists (lib/internal/timers.js): one FIFO list per duration, so
// timers of equal duration are appended in expiry order in O(1); the lists sit
// in a binary heap keyed by their earliest expiry, so a million pending timers
// cost O(log #durations) each; one libuv timer is armed for the heap's top.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include <tether/detail/intrusive_list.hpp>
#include <tether/detail/unique_function.hpp>
#include <tether/resource.hpp>

#include "runtime/node_pool.hpp"

namespace tether::detail {

class loop_core;
struct timer_list;

/// Its hook links it into its duration's list, or into the pool's free list.
struct timer_node final : resource, list_hook<> {
  unique_function<void()> fn;
  loop_core* loop = nullptr;
  node_pool<timer_node>* pool = nullptr;
  timer_list* list = nullptr;    // non-null while scheduled
  std::uint64_t start = 0;       // loop time (ms) when the countdown began
  std::uint64_t duration = 1;    // ms, at least 1 (Node)
  std::uint32_t handles = 0;     // `timeout` handles referring to this node
  bool repeat = false;           // set_interval
  bool refed = true;
  bool running = false;          // its callback is on the stack
  bool done = false;             // destroy emitted: fired for good, or cleared
};

struct timer_list {
  std::uint64_t duration = 0;
  std::uint64_t expiry = 0;
  std::uint64_t seq = 0;  // breaks expiry ties: older lists first, as Node's list ids
  std::size_t heap_index = 0;
  intrusive_list<timer_node> timers;  // in expiry order
};

class timer_lists {
 public:
  /// Appends `t` to the list for its duration, starting its countdown at
  /// `start`. Returns the new list's expiry if a list was created, else 0.
  std::uint64_t insert(timer_node& t, std::uint64_t start);
  /// Unlinks `t`; an emptied list is dropped.
  void remove(timer_node& t) noexcept;
  /// Unlinks the first timer of `l` without dropping `l` (processing).
  void pop_front(timer_list& l) noexcept;
  timer_list* earliest() const noexcept { return heap_.empty() ? nullptr : heap_.front(); }
  /// Moves `l` to its new place after its expiry changed.
  void set_expiry(timer_list& l, std::uint64_t expiry) noexcept;
  /// Drops `l` (which must be empty).
  void erase(timer_list& l) noexcept;
  bool empty() const noexcept { return heap_.empty(); }

  /// The list whose timers are running now: remove() leaves it in place even
  /// when emptied (the runner drops it when done).
  timer_list* busy = nullptr;

 private:
  static bool before(const timer_list* a, const timer_list* b) noexcept {
    return a->expiry != b->expiry ? a->expiry < b->expiry : a->seq < b->seq;
  }
  void place(std::size_t i, timer_list* l) noexcept {
    heap_[i] = l;
    l->heap_index = i;
  }
  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;

  std::unordered_map<std::uint64_t, std::unique_ptr<timer_list>> by_duration_;
  std::vector<timer_list*> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace tether::detail
