#pragma once
// Interned stacks: every distinct (return addresses, resource type) pair is
// stored once, reference-counted by the records that point to it, and freed
// with the last of them; so a call site that creates a million resources
// costs one stack.
//
// Lookups go through a small per-thread cache first (direct-mapped, 256
// entries, each holding a reference), then through the process-wide table
// (64 shards, each a mutex and a chained hash table). A stack whose count
// reaches zero can no longer be found: lookups only take a reference from a
// count that is not zero, so the last release unlinks and frees it alone.
//
// A stack found by a frame-pointer walk is checked once, when it is first
// interned (symbolizer::check_frame on each frame the walk went past):
//   - every frame kept its frame pointer: the walk was right;
//   - a shared library without frame pointers (libuv, libstdc++): the walk
//     stops after that frame (`shown`); past it were only loop internals;
//   - a function of the program without frame pointers: the walk may have
//     skipped frames, so captures that produce this walk are redone by
//     libunwind (`needs_unwinder`) and interned as exact stacks.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <tether/stack_trace.hpp>

namespace tether::detail {

class interned_stack {
 public:
  enum class kind : std::uint8_t {
    exact,            // addresses from libunwind (or a trace's raw addresses)
    frame_walk,       // a frame-pointer walk, checked at creation (stack_walk::automatic)
    frame_walk_only,  // the same, never redone by libunwind (stack_walk::frame_pointers)
  };

  const std::uintptr_t* addresses() const noexcept {
    return reinterpret_cast<const std::uintptr_t*>(this + 1);
  }
  /// Addresses that are right (see above); <= depth().
  std::size_t shown() const noexcept { return shown_; }
  std::size_t depth() const noexcept { return depth_; }
  std::string_view type() const noexcept {
    return {reinterpret_cast<const char*>(addresses() + depth_), type_size_};
  }
  bool needs_unwinder() const noexcept { return needs_unwinder_; }
  std::size_t bytes() const noexcept;
  bool matches(std::uint32_t hash, const struct stack_key& key) const noexcept;

 private:
  friend class stack_table;
  interned_stack() noexcept = default;

  std::atomic<std::uint32_t> refs_{1};
  std::uint32_t hash_ = 0;
  interned_stack* next_ = nullptr;  // bucket chain; guarded by the shard's mutex
  std::uint16_t depth_ = 0;
  std::uint16_t shown_ = 0;
  std::uint16_t type_size_ = 0;
  kind kind_ = kind::exact;
  bool needs_unwinder_ = false;
  // followed by std::uintptr_t addresses[depth_], then char type[type_size_]
};

/// The stack of a capture: `addresses` walked, `type` of the resource ("" for
/// a trace's own stack).
struct stack_key {
  const std::uintptr_t* addresses = nullptr;
  std::size_t depth = 0;
  std::string_view type;
  interned_stack::kind kind = interned_stack::kind::exact;
  bool stopped_at_limit = false;  // frame walk: ended at the depth limit (so nothing was
                                 // taken past the last frame)
};

class stack_table {
 public:
  static stack_table& instance() noexcept;

  /// A counted reference to the interned copy of `key` (created and, for a
  /// frame walk, checked if new). Null if memory ran out.
  interned_stack* intern(const stack_key& key) noexcept;
  /// A second reference to `s`, which the caller holds one of.
  static void retain(interned_stack& s) noexcept;
  /// Drops one reference; the last one frees `s`.
  void release(interned_stack* s) noexcept;

  std::uint64_t live() const noexcept { return live_.load(std::memory_order_relaxed); }
  std::uint64_t live_bytes() const noexcept { return bytes_.load(std::memory_order_relaxed); }

  /// Drops this thread's cached references (they are dropped at thread exit
  /// anyway).
  static void flush_thread_cache() noexcept;

  static constexpr std::size_t shard_count = 64;
  static constexpr std::size_t thread_cache_size = 256;
  /// Past this many distinct stacks alive, new ones are kept without their
  /// addresses (type only) until some are freed.
  static constexpr std::uint64_t max_live_stacks = std::uint64_t{1} << 20;

 private:
  stack_table() = default;
  interned_stack* find_or_insert(const stack_key& key, std::uint32_t hash, bool checked,
                                 std::size_t shown, bool needs_unwinder) noexcept;

  struct shard;
  shard* shards_ = nullptr;
  std::atomic<std::uint64_t> live_{0};
  std::atomic<std::uint64_t> bytes_{0};
};

}  // namespace tether::detail
