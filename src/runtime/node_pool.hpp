#pragma once
// Recycles the runtime's callback nodes (ticks, microtasks, timers,
// immediates) so steady-state scheduling allocates nothing: on this kind of VM
// a fresh page costs ~10 µs, far more than the whole operation.
//
// A pool outlives its loop while nodes are still checked out (a user may hold
// a `timeout` handle after the loop is gone): the loop calls orphan(), and
// the last node returned then frees the pool.

#include <cstddef>
#include <memory>
#include <vector>

namespace tether::detail {

template <class Node>
class node_pool {
 public:
  static node_pool* create() { return std::make_unique<node_pool>().release(); }

  Node* acquire() {
    Node* n = nullptr;
    if (free_.empty()) {
      n = std::make_unique<Node>().release();
    } else {
      n = free_.back().release();
      free_.pop_back();
    }
    ++outstanding_;
    return n;
  }

  /// Takes the node back; `n` must have been reset by its owner.
  void recycle(Node* n) noexcept {
    std::unique_ptr<Node> owned(n);
    --outstanding_;
    if (!orphaned_ && free_.size() < max_free) {
      try {
        free_.push_back(std::move(owned));
      } catch (...) {
        // Out of memory growing the free list: the node is just freed.
      }
    }
    delete_if_done();
  }

  /// The loop is gone: free the pool as soon as no node is checked out.
  void orphan() noexcept {
    orphaned_ = true;
    free_.clear();
    delete_if_done();
  }

  std::size_t outstanding() const noexcept { return outstanding_; }

 private:
  // Enough for bursts (a million timers come back to the allocator), small
  // enough not to pin memory after one.
  static constexpr std::size_t max_free = 4096;

  void delete_if_done() noexcept {
    if (orphaned_ && outstanding_ == 0) {
      std::unique_ptr<node_pool>(this).reset();
    }
  }

  std::vector<std::unique_ptr<Node>> free_;
  std::size_t outstanding_ = 0;
  bool orphaned_ = false;
};

}  // namespace tether::detail
