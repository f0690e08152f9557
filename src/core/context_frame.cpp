// Context frames (Node's AsyncContextFrame) and the async_local_storage
// operations that build them.

#include <tether/detail/context_frame.hpp>

#include <tether/detail/block_cache.hpp>

#include "core/frame_counting.hpp"
#include "core/thread_exit.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace tether::detail {
namespace {

std::size_t frame_bytes(std::uint32_t size) noexcept {
  return sizeof(context_frame) + size * sizeof(frame_entry);
}

// Frames are allocated as one block: the header followed by `size` entries,
// from the thread's block cache (a request's run() reuses the frame of the
// one before). The entries are left for frame_with to construct.
context_frame* allocate_frame(std::uint32_t size) {
  auto* f = ::new (cached_alloc(frame_bytes(size))) context_frame();
  f->size = size;
  count_new_frame(*f, tls);
  return f;
}

/// A copy of `base` (which may be null) with `key`'s entry set to `box`
/// (taking ownership of that reference). Every other entry is shared.
context_frame* frame_with(const context_frame* base, const storage_key& key, store_box_base* box) {
  const std::uint32_t base_size = base != nullptr ? base->size : 0;
  const std::uint32_t size = std::max(base_size, key.slot + 1);
  context_frame* f = nullptr;
  try {
    f = allocate_frame(size);
  } catch (...) {
    release_box(box);
    throw;
  }
  frame_entry* out = f->entries();
  for (std::uint32_t i = 0; i < base_size; ++i) {
    const frame_entry& e = base->entries()[i];
    if (e.box != nullptr) {
      // relaxed: as for frames, the reference we copy from keeps it alive.
      e.box->refs.fetch_add(1, std::memory_order_relaxed);
    }
    ::new (out + i) frame_entry(e);
  }
  std::uninitialized_value_construct(out + base_size, out + size);
  frame_entry& mine = out[key.slot];
  release_box(mine.box);
  mine = frame_entry{key.uid.load(std::memory_order_relaxed), box};
  return f;
}

/// The entry `key` has in `f` now, as a new reference (null if none).
store_box_base* current_box(const context_frame* f, const storage_key& key) noexcept {
  if (f == nullptr || key.slot >= f->size) {
    return nullptr;
  }
  const frame_entry& e = f->entries()[key.slot];
  if (e.owner != key.uid.load(std::memory_order_relaxed) || e.box == nullptr) {
    return nullptr;
  }
  e.box->refs.fetch_add(1, std::memory_order_relaxed);
  return e.box;
}

// Installs `f` as the frame owned by the current scope, releasing the one it
// replaces. At the top level nothing ends that scope before the thread does:
// running() registers the release at thread exit (release_top_level_frame).
void install_owned(thread_state& s, context_frame* f) noexcept {
  if (s.current == nullptr) {
    static_cast<void>(running(s));
  }
  context_frame* previous = std::exchange(s.owned, f);
  s.frame = f;
  release_frame(previous);
}

// Slots index the frame arrays; a destroyed instance's slot is reused, and
// the instance uid (never reused) tells old entries apart.
class storage_slots {
 public:
  std::uint32_t take() {
    const std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      const std::uint32_t slot = free_.back();
      free_.pop_back();
      return slot;
    }
    return next_++;
  }
  void give_back(std::uint32_t slot) noexcept {
    const std::lock_guard lock(mutex_);
    try {
      free_.push_back(slot);
    } catch (...) {
      // Out of memory: the slot is simply never reused.
    }
  }

 private:
  std::mutex mutex_;
  std::vector<std::uint32_t> free_;
  std::uint32_t next_ = 0;
};

storage_slots& slots() {
  static storage_slots instance;
  return instance;
}

// Uids start at 1 so that the zero-initialised owner of an empty entry never
// matches. relaxed: only uniqueness matters.
std::atomic<std::uint64_t> next_uid{1};

std::uint64_t new_uid() noexcept { return next_uid.fetch_add(1, std::memory_order_relaxed); }

}  // namespace

void release_top_level_frame(thread_state& s) noexcept {
  if (s.current == nullptr && s.owned != nullptr) {
    s.frame = nullptr;
    release_frame(std::exchange(s.owned, nullptr));
  }
}

void destroy_frame(context_frame* f) noexcept {
  const std::uint32_t size = f->size;
  for (std::uint32_t i = 0; i < size; ++i) {
    release_box(f->entries()[i].box);
  }
  f->~context_frame();
  cached_free(f, frame_bytes(size));
}

void register_storage(storage_key& key) {
  key.slot = slots().take();
  key.uid.store(new_uid(), std::memory_order_relaxed);
}

void unregister_storage(storage_key& key) noexcept {
  key.uid.store(0, std::memory_order_relaxed);
  slots().give_back(key.slot);
}

void disable_storage(storage_key& key) noexcept {
  // A new generation: every existing frame's entry for this instance now reads
  // as "no store", on every thread, until the next run()/enter_with().
  key.uid.store(new_uid(), std::memory_order_relaxed);
}

void enter_with(const storage_key& key, store_box_base* box) {
  thread_state& s = tls;
  install_owned(s, frame_with(s.frame, key, box));
}

run_scope::run_scope(const storage_key& key, store_box_base* box)
    : key_(key),
      mine_(frame_with(tls.frame, key, box)),
      saved_frame_(tls.frame),
      saved_owned_(tls.owned) {
  thread_state& s = tls;
  s.owned = nullptr;
  s.frame = mine_;
}

run_scope::~run_scope() {
  thread_state& s = tls;
  if (s.owned == nullptr) [[likely]] {
    // Nothing replaced our frame: put back exactly what was there.
    s.frame = saved_frame_;
    s.owned = saved_owned_;
  } else {
    // An enter_with() ran inside (for this or another instance). As Node's
    // AsyncContextFrame does, keep what it set and restore only this
    // instance's previous store on top of it: `b.enter_with(x)` inside
    // `a.run(...)` outlives the run, while `a` gets its old store back.
    context_frame* inner = std::exchange(s.owned, saved_owned_);
    store_box_base* previous = current_box(saved_frame_, key_);
    context_frame* out = nullptr;
    try {
      out = frame_with(inner, key_, previous);
    } catch (...) {
      // Out of memory while restoring: keep the inner frame rather than lose
      // the enter_with() (noexcept destructor; nothing better to do).
      s.owned = saved_owned_;
      install_owned(s, inner);
      release_frame(mine_);
      return;
    }
    release_frame(inner);
    install_owned(s, out);
  }
  release_frame(mine_);
}

}  // namespace tether::detail
