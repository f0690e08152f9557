#pragma once
// Recycles the runtime's callback nodes (ticks, microtasks, timers,
// immediates) so steady-state scheduling allocates nothing: on this kind of VM
// a fresh page costs ~10 µs, far more than the whole operation.
//
// A pool outlives its loop while nodes are still checked out (a user may hold
// a `timeout` handle after the loop is gone): the loop calls orphan(), and
// the last node returned then frees the pool.
//
// The free list is the nodes themselves, linked through the hook that queues
// them while in use (Node must derive from list_hook<>): taking and returning
// a node is a few pointer writes, and returning one cannot fail.

#include <cstddef>
#include <memory>

#include <tether/detail/intrusive_list.hpp>

namespace tether::detail {

template <class Node>
class node_pool {
 public:
  static node_pool* create() { return std::make_unique<node_pool>().release(); }

  node_pool() noexcept = default;
  node_pool(const node_pool&) = delete;
  node_pool& operator=(const node_pool&) = delete;
  ~node_pool() { free_all(); }

  Node* acquire() {
    Node* n = free_.pop_front();
    if (n == nullptr) {
      n = std::make_unique<Node>().release();
    } else {
      --free_count_;
    }
    ++outstanding_;
    return n;
  }

  /// Takes the node back (unlinked); `n` must have been reset by its owner.
  void recycle(Node* n) noexcept {
    if (!orphaned_ && free_count_ < max_free) [[likely]] {
      free_.push_front(*n);  // LIFO: the next acquire gets the warmest node
      ++free_count_;
      --outstanding_;
      return;
    }
    free_node(n);
  }

  /// The loop is gone: free the pool as soon as no node is checked out.
  void orphan() noexcept {
    orphaned_ = true;
    free_all();
    delete_if_done();
  }

  std::size_t outstanding() const noexcept { return outstanding_; }

 private:
  // Enough for bursts (a million timers come back to the allocator), small
  // enough not to pin memory after one.
  static constexpr std::size_t max_free = 4096;

  // Out of line, so that recycle()'s common path saves no registers.
  [[gnu::noinline]] void free_node(Node* n) noexcept {
    --outstanding_;
    std::unique_ptr<Node>{n}.reset();
    delete_if_done();
  }

  void free_all() noexcept {
    while (Node* n = free_.pop_front()) {
      std::unique_ptr<Node>{n}.reset();
    }
    free_count_ = 0;
  }

  void delete_if_done() noexcept {
    if (orphaned_ && outstanding_ == 0) {
      std::unique_ptr<node_pool>(this).reset();
    }
  }

  intrusive_list<Node> free_;
  std::size_t free_count_ = 0;
  std::size_t outstanding_ = 0;
  bool orphaned_ = false;
};

}  // namespace tether::detail
