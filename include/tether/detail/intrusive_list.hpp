#pragma once
// Not API. May change without notice.
//
// The one intrusive list: the core's per-thread list of context frames it
// counts, and the runtime's loop queues (ticks, microtasks, immediates),
// timer lists, socket owners, a promise's waiting reactions, the
// reclamation trampoline and node_pool's free lists.
//
// Doubly linked and circular with no sentinel: the list is one pointer (its
// head; head->prev is the tail), so an empty list is all-zero (constinit
// thread_locals, trivially movable owners) and push, pop and unlink are O(1)
// with no allocation. A node derives from `list_hook<Tag>` once per list it
// can be in at once (a tag tells them apart), so getting from a hook back to
// its node is a plain static_cast. Unlinked, a hook's pointers are null;
// linked, never (a lone node points at itself): that is the link check, which needs no extra field,
// so the layout is the same in every build mode (a user's debug build links
// with a release library). The check is on while NDEBUG is not defined, or
// when TETHER_LIST_CHECKS is 1, and aborts with a message: pushing a node
// that is already in a list, or unlinking one that is not, corrupts two
// lists silently otherwise.

#include <cstdio>
#include <cstdlib>

#ifndef TETHER_LIST_CHECKS
#ifdef NDEBUG
#define TETHER_LIST_CHECKS 0
#else
#define TETHER_LIST_CHECKS 1
#endif
#endif

namespace tether::detail {

template <class Tag = void>
struct list_hook {
  list_hook* prev = nullptr;
  list_hook* next = nullptr;

  bool linked() const noexcept { return next != nullptr; }
};

[[noreturn]] inline void list_misuse(const char* what) noexcept {
  std::fprintf(stderr, "tether: fatal: intrusive_list: %s\n", what);
  std::abort();
}

/// A list of `T`s (which derive from list_hook<Tag>). Owns nothing: nodes
/// must be unlinked before they are freed.
template <class T, class Tag = void>
class intrusive_list {
  using hook = list_hook<Tag>;

 public:
  constexpr intrusive_list() noexcept = default;
  intrusive_list(const intrusive_list&) = delete;
  intrusive_list& operator=(const intrusive_list&) = delete;
  intrusive_list(intrusive_list&& o) noexcept : head_(o.head_) { o.head_ = nullptr; }
  intrusive_list& operator=(intrusive_list&& o) noexcept {
    check(head_ == nullptr, "move-assigning into a list that is not empty");
    head_ = o.head_;
    o.head_ = nullptr;
    return *this;
  }
  ~intrusive_list() = default;

  bool empty() const noexcept { return head_ == nullptr; }
  T* front() const noexcept { return head_ != nullptr ? owner(head_) : nullptr; }
  T* back() const noexcept { return head_ != nullptr ? owner(head_->prev) : nullptr; }
  /// The node after `n` in this list, or null after the last.
  T* next(const T& n) const noexcept {
    hook* h = hook_of(n).next;
    return h != head_ ? owner(h) : nullptr;
  }
  /// The node before `n`, or null before the first.
  T* prev(const T& n) const noexcept {
    const hook& h = hook_of(n);
    return &h != head_ ? owner(h.prev) : nullptr;
  }

  static bool linked(const T& n) noexcept { return hook_of(n).linked(); }

  void push_back(T& n) noexcept {
    hook& h = n;
    check(!h.linked(), "push of a node that is already in a list");
    if (head_ == nullptr) {
      h.prev = h.next = &h;
      head_ = &h;
      return;
    }
    hook* tail = head_->prev;
    h.prev = tail;
    h.next = head_;
    tail->next = &h;
    head_->prev = &h;
  }

  void push_front(T& n) noexcept {
    push_back(n);
    head_ = &hook_of(n);
  }

  /// Unlinks `n`, which must be in this list. O(1).
  void erase(T& n) noexcept {
    hook& h = n;
    check(h.linked(), "unlink of a node that is in no list");
    check(head_ != nullptr, "unlink of a node from a list it is not in");
    if (h.next == &h) {
      check(head_ == &h, "unlink of a node from a list it is not in");
      head_ = nullptr;
    } else {
      h.prev->next = h.next;
      h.next->prev = h.prev;
      if (head_ == &h) {
        head_ = h.next;
      }
    }
    h.prev = h.next = nullptr;
  }

  /// Unlinks and returns the first node, or null.
  T* pop_front() noexcept {
    if (head_ == nullptr) {
      return nullptr;
    }
    T* n = owner(head_);
    erase(*n);
    return n;
  }

  /// Moves every node of `other` (another list) to the end of this one.
  void splice_back(intrusive_list& other) noexcept {
    hook* oh = other.head_;
    if (oh == nullptr) {
      return;
    }
    other.head_ = nullptr;
    if (head_ == nullptr) {
      head_ = oh;
      return;
    }
    hook* tail = head_->prev;
    hook* otail = oh->prev;
    tail->next = oh;
    oh->prev = tail;
    otail->next = head_;
    head_->prev = otail;
  }

  class iterator {
   public:
    iterator() noexcept = default;
    T& operator*() const noexcept { return *cur_; }
    T* operator->() const noexcept { return cur_; }
    iterator& operator++() noexcept {
      cur_ = list_->next(*cur_);
      return *this;
    }
    bool operator==(const iterator& o) const noexcept { return cur_ == o.cur_; }

   private:
    friend class intrusive_list;
    iterator(const intrusive_list* l, T* c) noexcept : list_(l), cur_(c) {}
    const intrusive_list* list_ = nullptr;
    T* cur_ = nullptr;
  };
  /// Iteration must not unlink the current node (take next() first).
  iterator begin() const noexcept { return iterator(this, front()); }
  iterator end() const noexcept { return iterator(this, nullptr); }

 private:
  static void check([[maybe_unused]] bool ok, [[maybe_unused]] const char* what) noexcept {
#if TETHER_LIST_CHECKS
    if (!ok) [[unlikely]] {
      list_misuse(what);
    }
#endif
  }

  // Through a reference: a pointer static_cast would test for null first,
  // and `h` is never null here.
  static T* owner(hook* h) noexcept { return &static_cast<T&>(*h); }
  static hook& hook_of(T& n) noexcept { return n; }
  static const hook& hook_of(const T& n) noexcept { return n; }

  hook* head_ = nullptr;
};

}  // namespace tether::detail
