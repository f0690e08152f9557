#pragma once
// Not API. May change without notice.
//
// A context frame is Node's AsyncContextFrame in C++: an immutable,
// reference-counted array mapping async_local_storage instances (by slot) to
// their stores. run()/enter_with() build a new frame (copy-on-write); every
// resource captures the current frame with one reference increment at init and
// installs it (a pointer store) around its callbacks; get_store() is an
// indexed load.
//
// Frames cross threads, but almost every reference is taken and dropped on
// the thread that made the frame (a loop thread running its requests). So a
// frame is counted with biased reference counting (Choi, Shull and
// Torrellas, PACT 2018): its home thread counts its references in a plain
// integer (`biased`); other threads count theirs in an atomic word
// (`shared`), which may go below zero when they drop references the home
// thread took. The frame is freed when the sum is zero:
//   - When `biased` reaches zero, the home thread merges it: adds it into
//     `shared` and marks the frame merged; from then on every thread, the
//     home thread too, counts in `shared` alone, and whoever brings it to
//     zero frees the frame.
//   - When another thread takes `shared` below zero, it queues the frame on
//     its home thread (once: the queued flag), which merges it the next time
//     it makes a frame (run, enter_with, exit) or when it exits. Until then a
//     frame whose last reference went to another thread stays allocated.
// The home thread's common path is a plain increment and decrement.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

#include <tether/detail/block_cache.hpp>
#include <tether/detail/intrusive_list.hpp>
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
      auto* self = static_cast<store_box*>(b);
      if constexpr (cacheable) {
        self->~store_box();
        cached_free(self, sizeof(store_box));
      } else {
        std::unique_ptr<store_box>{self}.reset();
      }
    };
  }
  T value;

  // From the thread's block cache (a request's run() reuses the box of the
  // one before), unless T needs more alignment than operator new gives.
  static constexpr bool cacheable = alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__;
};

template <class T>
store_box_base* make_store_box(T&& value) {
  if constexpr (store_box<T>::cacheable) {
    void* memory = cached_alloc(sizeof(store_box<T>));
    try {
      return ::new (memory) store_box<T>(std::move(value));
    } catch (...) {
      cached_free(memory, sizeof(store_box<T>));
      throw;
    }
  } else {
    return std::make_unique<store_box<T>>(std::move(value)).release();
  }
}

// Releasing the last reference skips the atomic read-modify-write: a count of
// 1 means ours is the only reference, so no other thread can change it. The
// acquire load pairs with the release half of other threads' earlier
// decrements, so their writes through the object happen before we free it.
// (Frames do the same through their own counts: see release_shared_frame.)
inline void release_box(store_box_base* b) noexcept {
  if (b != nullptr && (b->refs.load(std::memory_order_acquire) == 1 ||
                       b->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)) {
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

/// `shared`: other threads' references, times `frame_one`, with two flags in
/// the low bits.
inline constexpr std::int64_t frame_merged = 1;  // `biased` is folded in: `shared` is the whole count
inline constexpr std::int64_t frame_queued = 2;  // on its home thread's released_frames queue
inline constexpr std::int64_t frame_one = 4;     // one reference

struct frame_list_tag;

struct context_frame : list_hook<frame_list_tag> {  // linked in home->counted_frames until merged
  // The thread whose plain count `biased` still holds references; null once
  // merged (or when made on a thread that is exiting). Written only by that
  // thread; others load it to see that it is not theirs.
  mutable std::atomic<thread_state*> owner{nullptr};
  thread_state* home = nullptr;  // the thread that made it; never changes
  mutable std::uint32_t biased = 0;  // home thread only
  std::uint32_t size = 0;            // number of entries that follow this header
  context_frame* next_released = nullptr;  // link in home->released_frames
  mutable std::atomic<std::int64_t> shared{0};

  const frame_entry* entries() const noexcept {
    return reinterpret_cast<const frame_entry*>(this + 1);
  }
  frame_entry* entries() noexcept { return reinterpret_cast<frame_entry*>(this + 1); }
};
static_assert(alignof(context_frame) >= alignof(frame_entry));
static_assert(sizeof(context_frame) % alignof(frame_entry) == 0);

void destroy_frame(context_frame* f) noexcept;
/// The slow halves of release_frame (frame_counting.cpp). merge_frame: the
/// home thread folds its count into `shared`, taking `unqueue` (0 or
/// frame_queued) off the flags in the same step.
void merge_frame(context_frame& f, std::int64_t unqueue = 0) noexcept;
void release_shared_frame(context_frame& f) noexcept;

[[gnu::always_inline]] inline context_frame* acquire_frame(const context_frame* f) noexcept {
  auto* m = const_cast<context_frame*>(f);
  if (m != nullptr) {
    if (m->owner.load(std::memory_order_relaxed) == &tls) [[likely]] {
      ++m->biased;
    } else {
      // relaxed: taking a new reference needs no ordering; whoever gave us
      // the pointer already holds one (the same argument as shared_ptr's copy).
      m->shared.fetch_add(frame_one, std::memory_order_relaxed);
    }
  }
  return m;
}

[[gnu::always_inline]] inline void release_frame(context_frame* f) noexcept {
  if (f == nullptr) {
    return;
  }
  if (f->owner.load(std::memory_order_relaxed) == &tls) [[likely]] {
    if (--f->biased == 0) [[unlikely]] {
      merge_frame(*f);
    }
    return;
  }
  release_shared_frame(*f);
}

/// Home thread: merges the frames other threads queued here (see above).
/// Called when the thread makes a frame and when it exits.
void collect_released_frames(thread_state& s) noexcept;

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
