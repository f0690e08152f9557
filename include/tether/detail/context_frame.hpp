#pragma once
// Not API. May change without notice.
//
// A context frame is Node's AsyncContextFrame in C++: an immutable,
// reference-counted array mapping async_local_storage instances (by slot) to
// their stores. run()/enter_with() build a new frame (copy-on-write); every
// resource captures the current frame with one reference increment at init and
// installs it (a pointer store) around its callbacks; get_store() is an
// indexed load. Frames cross threads, so counts are atomic.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include <tether/detail/thread_state.hpp>

namespace tether::detail {

/// A store value shared by every frame that holds it (never copied per hop).
struct store_box_base {
  mutable std::atomic<std::size_t> refs{1};
  void (*destroy)(store_box_base*) noexcept = nullptr;
};

template <class T>
struct store_box final : store_box_base {
  explicit store_box(T&& v) : value(std::move(v)) {
    destroy = [](store_box_base* b) noexcept {
      std::unique_ptr<store_box>{static_cast<store_box*>(b)}.reset();
    };
  }
  T value;
};

template <class T>
store_box_base* make_store_box(T&& value) {
  return std::make_unique<store_box<T>>(std::move(value)).release();
}

// Releasing the last reference skips the atomic read-modify-write: a count of
// 1 means ours is the only reference, so no other thread can change it. The
// acquire load pairs with the release half of other threads' earlier
// decrements, so their writes through the object happen before we free it.
template <class Counted>
bool drop_reference(const Counted& c) noexcept {
  return c.refs.load(std::memory_order_acquire) == 1 ||
         c.refs.fetch_sub(1, std::memory_order_acq_rel) == 1;
}

inline void release_box(store_box_base* b) noexcept {
  if (b != nullptr && drop_reference(*b)) {
    b->destroy(b);
  }
}

/// `owner` is the storage instance's current generation (its uid); an entry
/// whose owner no longer matches (the instance was disabled, or destroyed and
/// its slot reused) reads as "no store". A matching entry with a null box is
/// an exit() scope.
struct frame_entry {
  std::uint64_t owner = 0;
  store_box_base* box = nullptr;
};

struct context_frame {
  mutable std::atomic<std::size_t> refs{1};
  std::uint32_t size = 0;  // number of entries that follow this header

  const frame_entry* entries() const noexcept {
    return reinterpret_cast<const frame_entry*>(this + 1);
  }
  frame_entry* entries() noexcept { return reinterpret_cast<frame_entry*>(this + 1); }
};
static_assert(alignof(context_frame) >= alignof(frame_entry));
static_assert(sizeof(context_frame) % alignof(frame_entry) == 0);

void destroy_frame(context_frame* f) noexcept;

inline context_frame* acquire_frame(const context_frame* f) noexcept {
  if (f != nullptr) {
    // relaxed: taking a new reference needs no ordering; whoever gave us the
    // pointer already holds one (the same argument as shared_ptr's copy).
    f->refs.fetch_add(1, std::memory_order_relaxed);
  }
  return const_cast<context_frame*>(f);
}

inline void release_frame(context_frame* f) noexcept {
  if (f != nullptr && drop_reference(*f)) {
    destroy_frame(f);
  }
}

/// Identity of one async_local_storage instance inside frames.
struct storage_key {
  std::uint32_t slot = 0;
  // Changed by disable(): every frame's entry for the old value goes dark at
  // once, on every thread. Read relaxed: a disable() racing a get_store() on
  // another thread has no happens-before edge to respect.
  std::atomic<std::uint64_t> uid{0};
};

inline store_box_base* find_store(const storage_key& key) noexcept {
  const context_frame* f = tls.frame;
  if (f == nullptr || key.slot >= f->size) {
    return nullptr;
  }
  const frame_entry& e = f->entries()[key.slot];
  return e.owner == key.uid.load(std::memory_order_relaxed) ? e.box : nullptr;
}

void register_storage(storage_key& key);
void unregister_storage(storage_key& key) noexcept;
void disable_storage(storage_key& key) noexcept;
/// Takes ownership of `box` (which may be null: "no store here").
void enter_with(const storage_key& key, store_box_base* box);

/// The frame switch behind run() and exit(): installs a frame with `box` for
/// `key` and, on destruction, puts back what was there (see the .cpp for how
/// an enter_with() inside is kept, as Node does).
class run_scope {
 public:
  run_scope(const storage_key& key, store_box_base* box);  // takes ownership of box
  ~run_scope();
  run_scope(const run_scope&) = delete;
  run_scope& operator=(const run_scope&) = delete;

 private:
  const storage_key& key_;
  context_frame* mine_;
  const context_frame* saved_frame_;
  context_frame* saved_owned_;
};

}  // namespace tether::detail
