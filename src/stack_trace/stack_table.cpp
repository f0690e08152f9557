#include "stack_trace/stack_table.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "stack_trace/symbolizer.hpp"

namespace tether::detail {

struct stack_table::shard {
  std::mutex mutex;
  std::vector<interned_stack*> buckets;  // guarded by mutex; size a power of two
  std::size_t size = 0;                  // guarded by mutex
};

namespace {

std::uint32_t hash_key(const stack_key& key) noexcept {
  // Rotate-xor per address (one or two cycles each, no multiply in the
  // dependency chain: this runs at every init), then one avalanche.
  std::uint64_t h = 0x9e3779b97f4a7c15u ^ (static_cast<std::uint64_t>(key.kind) << 32) ^ key.depth;
  for (std::size_t i = 0; i < key.depth; ++i) {
    h = ((h << 7) | (h >> 57)) ^ key.addresses[i];
  }
  for (const char c : key.type) {
    h = ((h << 5) | (h >> 59)) ^ static_cast<unsigned char>(c);
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdu;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53u;
  h ^= h >> 33;
  return static_cast<std::uint32_t>(h);
}

// The per-thread cache: plain data (constinit, trivially destructible), so
// it stays usable after this thread's destructors ran; `closed` then routes
// every lookup to the table.
struct thread_cache {
  interned_stack* slots[stack_table::thread_cache_size];
  bool registered;  // the thread-exit flush is set up
  bool closed;      // the thread is exiting: bypass the cache
};
constinit thread_local thread_cache tls_cache{};

struct thread_cache_flush {
  ~thread_cache_flush() {
    stack_table::flush_thread_cache();
    tls_cache.closed = true;
  }
};

}  // namespace

std::size_t interned_stack::bytes() const noexcept {
  return sizeof(interned_stack) + depth_ * sizeof(std::uintptr_t) + type_size_;
}

bool interned_stack::matches(std::uint32_t hash, const stack_key& key) const noexcept {
  return hash_ == hash && kind_ == key.kind && depth_ == key.depth && type() == key.type &&
         std::equal(key.addresses, key.addresses + key.depth, addresses());
}

stack_table& stack_table::instance() noexcept {
  // Never destroyed: records may be released by threads still running at
  // exit, or by static destructors.
  alignas(stack_table) static unsigned char storage[sizeof(stack_table)];
  alignas(shard) static unsigned char shard_storage[sizeof(shard) * shard_count];
  static stack_table* const table = [] {
    auto* t = ::new (storage) stack_table();
    t->shards_ = ::new (shard_storage) shard[shard_count];
    return t;
  }();
  return *table;
}

void stack_table::retain(interned_stack& s) noexcept {
  s.refs_.fetch_add(1, std::memory_order_relaxed);
}

void stack_table::release(interned_stack* s) noexcept {
  if (s == nullptr || s->refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) {
    return;
  }
  // Nobody can find it any more (lookups never revive a zero count); unlink
  // it and free it.
  shard& sh = shards_[s->hash_ % shard_count];
  {
    const std::lock_guard lock(sh.mutex);
    interned_stack** link = &sh.buckets[(s->hash_ / shard_count) & (sh.buckets.size() - 1)];
    while (*link != s) {
      link = &(*link)->next_;
    }
    *link = s->next_;
    --sh.size;
  }
  live_.fetch_sub(1, std::memory_order_relaxed);
  bytes_.fetch_sub(s->bytes(), std::memory_order_relaxed);
  s->~interned_stack();
  ::operator delete(static_cast<void*>(s));
}

interned_stack* stack_table::find_or_insert(const stack_key& key, std::uint32_t hash, bool checked,
                                            std::size_t shown, bool needs_unwinder) noexcept {
  shard& sh = shards_[hash % shard_count];
  const std::lock_guard lock(sh.mutex);
  if (!sh.buckets.empty()) {
    for (interned_stack* s = sh.buckets[(hash / shard_count) & (sh.buckets.size() - 1)];
         s != nullptr; s = s->next_) {
      if (!s->matches(hash, key)) {
        continue;
      }
      // Take a reference only from a count that is not zero: a zero count is
      // being freed (its release waits for this mutex to unlink it).
      std::uint32_t refs = s->refs_.load(std::memory_order_relaxed);
      while (refs != 0 &&
             !s->refs_.compare_exchange_weak(refs, refs + 1, std::memory_order_relaxed)) {
      }
      if (refs != 0) {
        return s;
      }
    }
  }
  if (!checked) {
    return nullptr;  // the caller checks the walk outside the lock, then inserts
  }
  try {
    if (sh.size + 1 > sh.buckets.size()) {
      std::vector<interned_stack*> grown(std::max<std::size_t>(16, sh.buckets.size() * 2), nullptr);
      for (interned_stack* head : sh.buckets) {
        while (head != nullptr) {
          interned_stack* next = head->next_;
          interned_stack*& bucket = grown[(head->hash_ / shard_count) & (grown.size() - 1)];
          head->next_ = bucket;
          bucket = head;
          head = next;
        }
      }
      sh.buckets.swap(grown);
    }
  } catch (...) {
    if (sh.buckets.empty()) {
      return nullptr;
    }
  }
  const std::size_t bytes =
      sizeof(interned_stack) + key.depth * sizeof(std::uintptr_t) + key.type.size();
  void* memory = ::operator new(bytes, std::nothrow);
  if (memory == nullptr) {
    return nullptr;
  }
  auto* s = ::new (memory) interned_stack();
  s->hash_ = hash;
  s->depth_ = static_cast<std::uint16_t>(key.depth);
  s->shown_ = static_cast<std::uint16_t>(shown);
  s->type_size_ = static_cast<std::uint16_t>(key.type.size());
  s->kind_ = key.kind;
  s->needs_unwinder_ = needs_unwinder;
  auto* addresses = reinterpret_cast<std::uintptr_t*>(s + 1);
  std::copy(key.addresses, key.addresses + key.depth, addresses);
  if (!key.type.empty()) {  // a trace's own stack has no type: data() may be null
    std::memcpy(addresses + key.depth, key.type.data(), key.type.size());
  }
  interned_stack*& bucket = sh.buckets[(hash / shard_count) & (sh.buckets.size() - 1)];
  s->next_ = bucket;
  bucket = s;
  ++sh.size;
  live_.fetch_add(1, std::memory_order_relaxed);
  bytes_.fetch_add(bytes, std::memory_order_relaxed);
  return s;
}

interned_stack* stack_table::intern(const stack_key& given) noexcept {
  stack_key key = given;
  key.depth = std::min<std::size_t>(key.depth, 64);
  key.type = key.type.substr(0, 0xffff);
  if (live_.load(std::memory_order_relaxed) >= max_live_stacks) {
    key.depth = 0;  // bounded: past the limit, new stacks keep their type only
  }
  const std::uint32_t hash = hash_key(key);

  thread_cache& cache = tls_cache;
  interned_stack** slot = nullptr;
  if (!cache.closed) {
    slot = &cache.slots[hash % thread_cache_size];
    if (interned_stack* s = *slot; s != nullptr && s->matches(hash, key)) {
      retain(*s);
      return s;
    }
  }

  interned_stack* s = find_or_insert(key, hash, key.kind == interned_stack::kind::exact, key.depth,
                                     false);
  if (s == nullptr && key.kind != interned_stack::kind::exact) {
    // A new frame walk: check, outside any lock of ours, which part of it is
    // right (see stack_table.hpp). Once per distinct walk.
    std::size_t shown = key.depth;
    bool needs_unwinder = false;
    // Every frame the walk went past, and the last one too unless the depth
    // limit ended the walk: a walk that "ended" there may have met a function
    // that used the frame-pointer register for something else.
    const std::size_t walked_past =
        key.stopped_at_limit && key.depth > 0 ? key.depth - 1 : key.depth;
    symbolizer& sym = symbolizer::instance();
    for (std::size_t i = 0; i < walked_past; ++i) {
      const frame_check check = sym.check_frame(key.addresses[i]);
      if (!check.frame_pointer) {
        shown = i + 1;
        needs_unwinder = check.main_program && key.kind == interned_stack::kind::frame_walk;
        break;
      }
    }
    s = find_or_insert(key, hash, true, shown, needs_unwinder);
  }
  if (s != nullptr && slot != nullptr) {
    if (!cache.registered) {
      cache.registered = true;
      static thread_local thread_cache_flush flush;
      (void)flush;
    }
    retain(*s);  // the cache's own reference
    release(std::exchange(*slot, s));
  }
  return s;
}

void stack_table::flush_thread_cache() noexcept {
  thread_cache& cache = tls_cache;
  stack_table& table = instance();
  for (interned_stack*& s : cache.slots) {
    table.release(std::exchange(s, nullptr));
  }
}

}  // namespace tether::detail
