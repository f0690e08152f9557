#pragma once
// The one push of tether's intrusive lock-free stacks (Treiber stacks): the
// runtime's inbox, the frames other threads send home, the stack-trace
// counter blocks. Each owner keeps its own head and its own way of taking
// (an exchange of the whole stack, or a walk of a list that only grows);
// the push, and the reasoning that makes it safe, is the same everywhere.
//
// Safe without ABA protection because nobody pops a single node: a node
// leaves a stack only when a taker swaps the whole stack out, so a head
// that compares equal has the same successors.

#include <atomic>

namespace tether::detail {

/// Links `node` on top of `head` through its `Next` member and returns the
/// head it replaced (null: the stack was empty). `order` is the successful
/// exchange's: at least release, so a taker that acquires the head sees
/// everything written to the node before the push. A failed exchange only
/// reloads the head, which the node then points to: relaxed is enough.
template <auto Next, class Node>
Node* push_front(std::atomic<Node*>& head, Node& node,
                 std::memory_order order = std::memory_order_release) noexcept {
  Node* top = head.load(std::memory_order_relaxed);
  do {
    node.*Next = top;
  } while (!head.compare_exchange_weak(top, &node, order, std::memory_order_relaxed));
  return top;
}

}  // namespace tether::detail
