#pragma once
// The one push of tether's intrusive lock-free stacks (Treiber stacks): the
// runtime's inbox, the frames other threads send home, the stack-trace
// counter blocks. Each owner keeps its own head and its own way of taking
// (an exchange of the whole stack, or a walk of a list that only grows);
// the push, and the reasoning that makes it safe, is the same everywhere.
//
// No ABA tag is needed: a push reads nothing through the head it replaces
// (only its address goes into the node), so a head that was taken and pushed
// again in between is still the right successor. ABA bites a pop of one
// node, which reads head->next; no owner pops one node (they take the whole
// stack with an exchange, or never take).

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
