#pragma once
// Per-resource records: a resource's creation stack and id, linked to the
// record of the resource it was created in.
//
// A record is immutable once built and reference-counted by: the resource
// it describes (its observer slot), every record whose parent it is, and
// every trace that holds it. So a hop outlives its resource exactly as long
// as something may still print it, and a trace can walk its chain on any
// thread without a lock.
//
// Bounded chains: `kept` counts the records reachable from a record (itself
// included). A new record links its parent directly while that keeps `kept`
// within 2 x hops; past that it links a copy of the parent's first hops - 1
// records instead (marked `truncated` at the end), so every chain holds at
// most 2 x hops records and a million-hop chain of immediates, each created
// in the callback of the one before, keeps no more than a short one. The copy
// happens once per hops + 1 links along a chain.
//
// 32 bytes: the type lives in the interned stack.

#include <atomic>
#include <cstddef>
#include <cstdint>

#include <tether/resource.hpp>

#include "stack_trace/stack_table.hpp"

namespace tether::detail {

struct trace_record {
  std::atomic<std::uint32_t> refs{1};
  std::uint16_t kept = 1;     // records reachable from here, this one included
  bool truncated = false;     // older hops existed and were dropped after this one
  interned_stack* stack = nullptr;  // owned; null if memory ran out
  trace_record* parent = nullptr;   // owned
  async_id id = 0;
};
static_assert(sizeof(void*) != 8 || sizeof(trace_record) == 32);

/// A new record (one reference, the caller's) for `stack` (whose reference
/// it takes over) and `id`, linked as described above to `parent` (borrowed;
/// null at the top level). Null if memory ran out (`stack` is then released).
trace_record* make_record(interned_stack* stack, async_id id, trace_record* parent,
                          std::size_t hops) noexcept;
void retain(trace_record& r) noexcept;
/// Drops one reference; frees the record and, iteratively, every ancestor
/// whose last reference it held.
void release(trace_record* r) noexcept;

// The observer slot of a resource holds a record pointer; a resource that
// was sampled out holds its creator's record, tagged in the low bit.
inline void* slot_of(trace_record* r, bool inherited) noexcept {
  return reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(r) | (inherited ? 1u : 0u));
}
inline trace_record* record_of(void* slot) noexcept {
  return reinterpret_cast<trace_record*>(reinterpret_cast<std::uintptr_t>(slot) &
                                         ~std::uintptr_t{1});
}
inline bool inherited(void* slot) noexcept {
  return (reinterpret_cast<std::uintptr_t>(slot) & 1u) != 0;
}

// --- counters ------------------------------------------------------------------

enum class counter : unsigned {
  captures,
  unwinder_captures,
  sampled_out,
  records_made,
  records_freed,
};
inline constexpr unsigned counter_count = 5;

/// Adds to this thread's counter (no shared cache line on the capture path).
void count(counter c, std::uint64_t n = 1) noexcept;
/// The sum over every thread that ever counted.
std::uint64_t total(counter c) noexcept;

}  // namespace tether::detail
