// The hot path: interning type names and pushing events into this thread's
// ring. Called from hook callbacks on every thread.

#include "profiler/recorder.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <fstream>
#include <unordered_map>

#include "profiler/clock.hpp"

namespace tether::profiler::detail {

std::atomic<std::uint64_t> active_generation{0};
std::atomic<std::uint64_t> dropped_at_thread_exit{0};

ring_registry& registry() noexcept {
  // Never destroyed: threads may record while static destructors run.
  static ring_registry* r = new ring_registry;
  return *r;
}

// --- type names --------------------------------------------------------------

namespace {

struct type_table {
  std::mutex mutex;
  std::unordered_map<std::string, std::uint32_t> ids;      // guarded by mutex
  std::vector<std::unique_ptr<const std::string>> owned;  // guarded by mutex
  // Readers (the writer thread, the per-thread caches) index this without
  // the lock: an entry is written before `count` is released past it.
  std::array<std::atomic<const std::string*>, max_types> names{};
  std::atomic<std::uint32_t> count{1};
};

type_table& types() noexcept {
  static type_table* t = [] {
    auto* table = new type_table;
    static const std::string overflow(overflow_type_name);
    table->names[0].store(&overflow, std::memory_order_relaxed);
    return table;
  }();
  return *t;
}

std::uint32_t intern_slow(std::string_view type) noexcept {
  type_table& t = types();
  std::lock_guard lock(t.mutex);
  try {
    auto it = t.ids.find(std::string(type));
    if (it != t.ids.end()) {
      return it->second;
    }
    const std::uint32_t id = t.count.load(std::memory_order_relaxed);
    if (id >= max_types) {
      return 0;
    }
    t.owned.push_back(std::make_unique<const std::string>(type));
    t.names[id].store(t.owned.back().get(), std::memory_order_relaxed);
    t.ids.emplace(std::string(type), id);
    t.count.store(id + 1, std::memory_order_release);
    return id;
  } catch (...) {  // out of memory: the event still counts, under "(type table full)"
    return 0;
  }
}

// A direct-mapped per-thread cache. Keyed by the string's address first
// (resource types are usually literals), then by its bytes (async_resource
// copies its type into each object), and always verified against the
// interned name, so a reused address with other contents cannot alias.
struct cache_entry {
  const char* data = nullptr;
  std::size_t size = 0;
  std::uint32_t id = 0;
};
constexpr std::size_t cache_size = 64;
constinit thread_local std::array<cache_entry, cache_size> by_address{};
constinit thread_local std::array<cache_entry, cache_size> by_content{};

std::size_t content_hash(std::string_view s) noexcept {
  std::uint64_t h = 14695981039346656037ull;
  for (const char c : s) {
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  }
  return static_cast<std::size_t>(h ^ (h >> 29));
}

bool same_name(std::uint32_t id, std::string_view type) noexcept {
  const std::string* name = types().names[id].load(std::memory_order_acquire);
  return name != nullptr && *name == type;
}

}  // namespace

std::uint32_t intern_type(std::string_view type) noexcept {
  cache_entry& a = by_address[(reinterpret_cast<std::uintptr_t>(type.data()) >> 3) % cache_size];
  if (a.data == type.data() && a.size == type.size() && a.id != 0 && same_name(a.id, type)) {
    return a.id;
  }
  cache_entry& c = by_content[content_hash(type) % cache_size];
  std::uint32_t id = 0;
  if (c.id != 0 && c.size == type.size() && same_name(c.id, type)) {
    id = c.id;
  } else {
    id = intern_slow(type);
    c = {nullptr, type.size(), id};
  }
  a = {type.data(), type.size(), id};
  return id;
}

std::uint32_t type_count() noexcept { return types().count.load(std::memory_order_acquire); }

std::string_view type_name(std::uint32_t id) noexcept {
  const std::string* name = types().names[id].load(std::memory_order_acquire);
  return name != nullptr ? std::string_view(*name) : std::string_view();
}

// --- threads -----------------------------------------------------------------

std::uint64_t current_tid() noexcept { return static_cast<std::uint64_t>(::syscall(SYS_gettid)); }

std::string thread_name(std::uint64_t tid) {
  std::ifstream comm("/proc/self/task/" + std::to_string(tid) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

namespace {

// The hot path reads only this constinit pointer (no TLS guard).
constinit thread_local thread_ring* tls_ring = nullptr;
// Set once this thread's ring_owner is destroyed: later events (from other
// thread_local destructors) are counted, not recorded.
constinit thread_local bool tls_exiting = false;

// Keeps the thread's current ring alive while the thread runs; on exit it
// marks the ring closed so the writer empties and frees it. The main thread's
// ring is held by a never-destroyed pointer instead: its thread_locals die
// before static destructors, which still produce events.
struct ring_owner {
  std::shared_ptr<thread_ring> ring;
  ~ring_owner() {
    tls_exiting = true;
    tls_ring = nullptr;
    if (ring) {
      try {
        ring->final_name = thread_name(ring->tid());
      } catch (...) {
      }
      ring->closed.store(true, std::memory_order_release);
    }
  }
};

bool is_main_thread() noexcept { return static_cast<pid_t>(::syscall(SYS_gettid)) == ::getpid(); }

thread_ring* attach_thread(std::uint64_t generation) noexcept {
  if (tls_exiting) {
    return nullptr;
  }
  try {
    ring_registry& r = registry();
    std::shared_ptr<thread_ring> ring;
    {
      std::lock_guard lock(r.mutex);
      if (r.generation != generation) {  // the recording stopped meanwhile
        return nullptr;
      }
      ring = std::make_shared<thread_ring>(r.capacity, r.next_index++, current_tid(), generation);
      r.rings.push_back(ring);
      ++r.threads_seen;
    }
    if (is_main_thread()) {
      // Never destroyed, like the registry (see ring_owner).
      static auto* main_owner = new std::shared_ptr<thread_ring>;
      *main_owner = ring;
    } else {
      thread_local ring_owner owner;
      owner.ring = ring;
    }
    tls_ring = ring.get();
    return tls_ring;
  } catch (...) {  // out of memory: this event is lost, the next one retries
    return nullptr;
  }
}

}  // namespace

void record(format::kind k, std::uint64_t id, std::uint64_t trigger, std::uint32_t type) noexcept {
  const std::uint64_t generation = active_generation.load(std::memory_order_relaxed);
  if (generation == 0) [[unlikely]] {
    return;
  }
  thread_ring* ring = tls_ring;
  if (ring == nullptr || ring->generation != generation) [[unlikely]] {
    ring = attach_thread(generation);
    if (ring == nullptr) {
      dropped_at_thread_exit.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  if (ring->push(event{now_ticks(), id, trigger, pack_kind(k, type), 0})) [[unlikely]] {
    wake_writer();
  }
}

}  // namespace tether::profiler::detail
