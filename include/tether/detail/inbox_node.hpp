#pragma once
// Not API. May change without notice.
//
// A node of the runtime's cross-thread queues (event_loop::post, message
// ports): linked through `next` while queued, freed through `dispose` (the
// queue does not know the node's type).

namespace tether::detail {

struct inbox_node {
  inbox_node* next = nullptr;
  void (*dispose)(inbox_node*) noexcept = nullptr;
};

}  // namespace tether::detail
