#include "stack_trace/records.hpp"

#include "core/lock_free_stack.hpp"

#include <new>

namespace tether::detail {
namespace {

trace_record* new_record(interned_stack* stack, async_id id) noexcept {
  auto* r = new (std::nothrow) trace_record;
  if (r == nullptr) {
    return nullptr;
  }
  r->stack = stack;
  r->id = id;
  count(counter::records_made);
  return r;
}

/// A copy of `from`'s first `n` records (n >= 1), the last one marked
/// truncated. Null if memory ran out.
trace_record* copy_chain(const trace_record* from, std::size_t n) noexcept {
  trace_record* head = nullptr;
  trace_record** link = &head;
  for (std::size_t i = 0; i < n && from != nullptr; ++i, from = from->parent) {
    trace_record* copy = new_record(from->stack, from->id);
    if (copy == nullptr) {
      release(head);
      return nullptr;
    }
    if (from->stack != nullptr) {
      stack_table::retain(*from->stack);
    }
    copy->kept = static_cast<std::uint16_t>(n - i);
    copy->truncated = i + 1 == n;
    *link = copy;
    link = &copy->parent;
  }
  return head;
}

// --- per-thread counters -----------------------------------------------------
//
// Blocks are never freed: a thread that exits hands its block to the next
// new thread (the counts are running totals, so they simply go on), which
// bounds them by the most threads alive at once.

struct counter_block {
  std::atomic<std::uint64_t> values[counter_count] = {};
  std::atomic<bool> in_use{true};
  counter_block* next = nullptr;
};

constinit std::atomic<counter_block*> all_blocks{nullptr};
// Counts made after this thread's block was handed back (destructors of
// thread_locals running late), with atomic adds.
constinit counter_block shared_block{};

struct thread_counters {
  counter_block* block;
  bool exiting;
};
constinit thread_local thread_counters tls_counters{};

struct block_release {
  ~block_release() {
    thread_counters& t = tls_counters;
    t.exiting = true;
    if (t.block != nullptr) {
      t.block->in_use.store(false, std::memory_order_release);
      t.block = nullptr;
    }
  }
};

counter_block* acquire_block() noexcept {
  for (counter_block* b = all_blocks.load(std::memory_order_acquire); b != nullptr; b = b->next) {
    bool expected = false;
    if (b->in_use.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
      return b;
    }
  }
  auto* b = new (std::nothrow) counter_block;
  if (b == nullptr) {
    return nullptr;
  }
  push_front<&counter_block::next>(all_blocks, *b);  // release: the walk above acquires
  return b;
}

}  // namespace

trace_record* make_record(interned_stack* stack, async_id id, trace_record* parent,
                          std::size_t hops) noexcept {
  trace_record* r = new_record(stack, id);
  if (r == nullptr) {
    stack_table::instance().release(stack);
    return nullptr;
  }
  if (parent == nullptr) {
    return r;
  }
  if (hops <= 1) {
    r->truncated = true;
  } else if (parent->kept < 2 * hops) {
    retain(*parent);
    r->parent = parent;
    r->kept = static_cast<std::uint16_t>(parent->kept + 1);
  } else if (trace_record* copy = copy_chain(parent, hops - 1)) {
    r->parent = copy;
    r->kept = static_cast<std::uint16_t>(hops);
  } else {
    r->truncated = true;
  }
  return r;
}

void retain(trace_record& r) noexcept { r.refs.fetch_add(1, std::memory_order_relaxed); }

void release(trace_record* r) noexcept {
  stack_table& table = stack_table::instance();
  while (r != nullptr && r->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    trace_record* parent = r->parent;
    table.release(r->stack);
    delete r;
    count(counter::records_freed);
    r = parent;
  }
}

void count(counter c, std::uint64_t n) noexcept {
  thread_counters& t = tls_counters;
  const auto index = static_cast<unsigned>(c);
  if (t.block == nullptr) {
    if (!t.exiting) {
      t.block = acquire_block();
      if (t.block != nullptr) {
        static thread_local block_release release_at_exit;
        (void)release_at_exit;
      }
    }
    if (t.block == nullptr) {
      shared_block.values[index].fetch_add(n, std::memory_order_relaxed);
      return;
    }
  }
  // One writer per block: a load and a store, no read-modify-write.
  std::atomic<std::uint64_t>& v = t.block->values[index];
  v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

std::uint64_t total(counter c) noexcept {
  const auto index = static_cast<unsigned>(c);
  std::uint64_t sum = shared_block.values[index].load(std::memory_order_relaxed);
  for (counter_block* b = all_blocks.load(std::memory_order_acquire); b != nullptr; b = b->next) {
    sum += b->values[index].load(std::memory_order_relaxed);
  }
  return sum;
}

}  // namespace tether::detail
