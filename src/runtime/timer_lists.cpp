#include "runtime/timer_lists.hpp"

namespace tether::detail {

std::uint64_t timer_lists::insert(timer_node& t, std::uint64_t start) {
  t.start = start;
  std::uint64_t created = 0;
  auto& slot = by_duration_[t.duration];
  if (!slot) {
    slot = std::make_unique<timer_list>();
    slot->duration = t.duration;
    slot->expiry = start + t.duration;
    slot->seq = next_seq_++;
    heap_.push_back(slot.get());
    place(heap_.size() - 1, slot.get());
    sift_up(heap_.size() - 1);
    created = slot->expiry;
  }
  timer_list& l = *slot;
  t.list = &l;
  l.timers.push_back(t);
  return created;
}

void timer_lists::pop_front(timer_list& l) noexcept {
  if (timer_node* t = l.timers.pop_front()) {
    t->list = nullptr;
  }
}

void timer_lists::remove(timer_node& t) noexcept {
  timer_list& l = *t.list;
  l.timers.erase(t);
  t.list = nullptr;
  if (l.timers.empty() && &l != busy) {
    erase(l);
  }
}

void timer_lists::set_expiry(timer_list& l, std::uint64_t expiry) noexcept {
  // Node gives the list a fresh id too, so it sorts after lists that already
  // had this expiry.
  l.expiry = expiry;
  l.seq = next_seq_++;
  sift_down(l.heap_index);
  sift_up(l.heap_index);
}

void timer_lists::erase(timer_list& l) noexcept {
  const std::size_t i = l.heap_index;
  timer_list* last = heap_.back();
  heap_.pop_back();
  if (last != &l) {
    place(i, last);
    sift_down(i);
    sift_up(last->heap_index);
  }
  by_duration_.erase(l.duration);  // frees l
}

void timer_lists::sift_up(std::size_t i) noexcept {
  timer_list* l = heap_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!before(l, heap_[parent])) {
      break;
    }
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, l);
}

void timer_lists::sift_down(std::size_t i) noexcept {
  timer_list* l = heap_[i];
  const std::size_t n = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) {
      break;
    }
    if (child + 1 < n && before(heap_[child + 1], heap_[child])) {
      ++child;
    }
    if (!before(heap_[child], l)) {
      break;
    }
    place(i, heap_[child]);
    i = child;
  }
  place(i, l);
}

}  // namespace tether::detail
