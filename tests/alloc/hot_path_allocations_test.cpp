// Hot-path claims, counted rather than timed: this executable replaces every
// global operator new/delete with a counting version (malloc/free underneath)
// and asserts that the paths a runtime takes per operation, and the reads
// user code makes per request, allocate nothing when no hook is enabled. The
// paths that do allocate (run(), enter_with(), exit(), long resource types)
// are pinned to their exact counts, so a change shows up here first.
//
// Its own binary (tests/CMakeLists.txt): nothing else may replace operator
// new, so tether_test_support is not linked in. Each test warms up first: the
// first use of a thread's state assigns its top-level id, takes a block of
// ids and may register thread_local destructors, none of which is per-op.

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <new>
#include <string_view>
#include <thread>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>
#include <tether/debug.hpp>
#include <tether/detail/block_cache.hpp>
#include <tether/detail/hook_dispatch.hpp>
#include <tether/integration.hpp>

#include "counting_allocator.hpp"

// --- helpers -------------------------------------------------------------------

namespace {

using tether::test::allocation_delta;
using tether::test::count_allocations;
using tether::test::counts;

/// A runtime's operation: the resource lives in memory the runtime already
/// owns (here: the stack).
struct op : tether::resource {};

/// First use of this thread's execution context, id block, top-level
/// resource, hook registry and storage slots: once-per-thread or
/// once-per-process costs, not per operation.
void warm_up() {
  (void)tether::execution_async_id();
  (void)tether::trigger_async_id();
  (void)tether::execution_async_resource();
  tether::async_local_storage<int> als;
  als.run(1, [&] {
    tether::async_resource r("WarmUp");
    r.run_in_async_scope([&] { (void)als.get_store(); });
  });
  op o;
  tether::emit_init(o, "WarmUp");
  { tether::callback_scope scope(o); }
  tether::emit_destroy(o);
}

class HotPathAllocations : public ::testing::Test {
 protected:
  void SetUp() override { warm_up(); }
};

// The counting operators are the ones in use (a link-order surprise would make
// every zero below meaningless). Direct calls, which the compiler may not
// elide the way it may elide a new-expression paired with its delete.
TEST_F(HotPathAllocations, CountingOperatorNewIsInstalled) {
  const allocation_delta d = count_allocations([] {
    ::operator delete(::operator new(sizeof(int)));
    ::operator delete[](::operator new[](3 * sizeof(int)));
    ::operator delete(::operator new(64, std::align_val_t{64}), std::align_val_t{64});
  });
  EXPECT_EQ(d.allocations, 3u);
  EXPECT_EQ(d.deallocations, 3u);
}

// --- zero allocations: what a runtime pays per operation with no hook -------

TEST_F(HotPathAllocations, EmitInitWithNoHookAndNoStore) {
  op o;  // preallocated: the runtime owns this memory
  const allocation_delta d = count_allocations([&] { tether::emit_init(o, "Job"); });
  tether::emit_destroy(o);
  EXPECT_EQ(d.allocations, 0u);
  EXPECT_EQ(d.deallocations, 0u);
}

TEST_F(HotPathAllocations, CallbackScopeOnInitialisedResource) {
  op o;
  tether::emit_init(o, "Job");
  tether::async_id inside = 0;
  const allocation_delta d = count_allocations([&] {
    tether::callback_scope scope(o);
    inside = tether::execution_async_id();
  });
  tether::emit_destroy(o);
  EXPECT_EQ(inside, o.id());
  EXPECT_EQ(d.allocations, 0u);
  EXPECT_EQ(d.deallocations, 0u);
}

TEST_F(HotPathAllocations, EmitDestroy) {
  op o;
  tether::emit_init(o, "Job");
  const allocation_delta d = count_allocations([&] { tether::emit_destroy(o); });
  EXPECT_TRUE(o.destroyed());
  EXPECT_EQ(d.allocations, 0u);
  EXPECT_EQ(d.deallocations, 0u);
}

TEST_F(HotPathAllocations, RunInAsyncScopeOfExistingResource) {
  tether::async_resource r("Job");
  tether::async_id inside = 0;
  const allocation_delta d = count_allocations(
      [&] { r.run_in_async_scope([&] { inside = tether::execution_async_id(); }); });
  EXPECT_EQ(inside, r.id());
  EXPECT_EQ(d.allocations, 0u);
  EXPECT_EQ(d.deallocations, 0u);
}

TEST_F(HotPathAllocations, AsyncResourceWithShortTypeConstructAndDestroy) {
  constexpr std::string_view type = "a-type-of-exactly-31-characters";
  static_assert(type.size() == 31);
  tether::async_id id = 0;
  const allocation_delta d = count_allocations([&] {
    tether::async_resource r(type);
    id = r.id();
  });
  EXPECT_NE(id, 0u);
  EXPECT_EQ(d.allocations, 0u);
  EXPECT_EQ(d.deallocations, 0u);
}

// debug()/debug_to() are for hook callbacks: every kind of argument, a line
// longer than their 4 KiB buffer, to a file descriptor and to stderr.
TEST_F(HotPathAllocations, DebugAndDebugToAllocateNothing) {
  const int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  static char long_line[5000];  // more than the 4 KiB line buffer: flushed in pieces
  std::fill(std::begin(long_line), std::end(long_line), 'x');
  const std::string_view long_text(long_line, sizeof long_line);
  int x = 0;
  bool written = false;
  const allocation_delta d = count_allocations([&] {
    written = tether::debug_to(fd, "init", std::uint64_t{7}, -3, 2.5, true, 'c', &x, long_text);
    tether::debug_to(fd);
  });
  ::close(fd);
  EXPECT_TRUE(written);
  EXPECT_EQ(d.allocations, 0u);
  EXPECT_EQ(d.deallocations, 0u);

  // debug() itself, with stderr pointed at /dev/null for the call.
  const int saved = ::dup(STDERR_FILENO);
  const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(saved, 0);
  ASSERT_GE(null, 0);
  ::dup2(null, STDERR_FILENO);
  const allocation_delta e =
      count_allocations([&] { tether::debug("init", std::uint64_t{7}, 2.5, &x, long_text); });
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(null);
  EXPECT_EQ(e.allocations, 0u);
  EXPECT_EQ(e.deallocations, 0u);
}

TEST_F(HotPathAllocations, ExecutionContextQueries) {
  tether::async_id ids = 0;
  const tether::resource* current = nullptr;
  const allocation_delta d = count_allocations([&] {
    ids += tether::execution_async_id();
    ids += tether::trigger_async_id();
    current = &tether::execution_async_resource();
  });
  op o;
  tether::emit_init(o, "Job");
  const allocation_delta inside = count_allocations([&] {
    tether::callback_scope scope(o);
    ids += tether::execution_async_id();
    ids += tether::trigger_async_id();
    current = &tether::execution_async_resource();
  });
  tether::emit_destroy(o);
  EXPECT_NE(ids, 0u);
  EXPECT_EQ(current, &o);
  EXPECT_EQ(d.allocations, 0u);
  EXPECT_EQ(inside.allocations, 0u);
  EXPECT_EQ(inside.deallocations, 0u);
}

// --- zero allocations: async_local_storage reads and context restore -------

TEST_F(HotPathAllocations, GetStoreInsideRun) {
  tether::async_local_storage<int> als;
  als.run(42, [&] {
    const int* seen = nullptr;
    const allocation_delta d = count_allocations([&] { seen = als.get_store(); });
    ASSERT_NE(seen, nullptr);
    EXPECT_EQ(*seen, 42);
    EXPECT_EQ(d.allocations, 0u);
  });
}

TEST_F(HotPathAllocations, GetStoreOutsideRun) {
  tether::async_local_storage<int> als;
  const int sentinel = 0;
  const int* seen = &sentinel;
  const allocation_delta d = count_allocations([&] { seen = als.get_store(); });
  EXPECT_EQ(seen, nullptr);
  EXPECT_EQ(d.allocations, 0u);
}

TEST_F(HotPathAllocations, GetStoreWithEightStorages) {
  std::vector<std::unique_ptr<tether::async_local_storage<int>>> stores;
  for (int i = 0; i < 8; ++i) {
    stores.push_back(std::make_unique<tether::async_local_storage<int>>());
  }
  // stores[i].run(i, ...) nested eight deep; the innermost reads all eight.
  int sum = 0;
  allocation_delta d;
  const auto innermost = [&] {
    d = count_allocations([&] {
      for (const auto& s : stores) {
        sum += *s->get_store();
      }
    });
  };
  const auto nest = [&](const auto& self, std::size_t i) -> void {
    if (i == stores.size()) {
      innermost();
      return;
    }
    stores[i]->run(static_cast<int>(i), [&] { self(self, i + 1); });
  };
  nest(nest, 0);
  EXPECT_EQ(sum, 0 + 1 + 2 + 3 + 4 + 5 + 6 + 7);
  EXPECT_EQ(d.allocations, 0u);
}

TEST_F(HotPathAllocations, ContextRestoreOfCapturedFrame) {
  tether::async_local_storage<int> als;
  std::unique_ptr<tether::async_resource> r;
  als.run(7, [&] { r = std::make_unique<tether::async_resource>("Job"); });
  ASSERT_EQ(als.get_store(), nullptr);
  const int* seen = nullptr;
  const allocation_delta d = count_allocations([&] {
    tether::callback_scope scope(*r);
    seen = als.get_store();
  });
  ASSERT_NE(seen, nullptr);
  EXPECT_EQ(*seen, 7);
  EXPECT_EQ(als.get_store(), nullptr);
  EXPECT_EQ(d.allocations, 0u);
  EXPECT_EQ(d.deallocations, 0u);
}

TEST_F(HotPathAllocations, EmitInitWithStoreActiveCapturesWithoutAllocating) {
  tether::async_local_storage<int> als;
  op o;
  allocation_delta d;
  als.run(1, [&] { d = count_allocations([&] { tether::emit_init(o, "Job"); }); });
  tether::emit_destroy(o);
  EXPECT_EQ(d.allocations, 0u);
  EXPECT_EQ(d.deallocations, 0u);
}

TEST_F(HotPathAllocations, CountingHookAddsNoAllocationPerEvent) {
  std::uint64_t events = 0;
  auto hook = tether::create_hook({
      .init = [&](tether::async_id, std::string_view, tether::async_id,
                  tether::resource&) { ++events; },
      .before = [&](tether::async_id) { ++events; },
      .after = [&](tether::async_id) { ++events; },
      .destroy = [&](tether::async_id) { ++events; },
  });
  hook.enable();  // allocates (a new published hook list); not per event
  const allocation_delta d = count_allocations([&] {
    op o;
    tether::emit_init(o, "Job");
    { tether::callback_scope scope(o); }
    tether::emit_destroy(o);
  });
  hook.disable();
  EXPECT_EQ(events, 4u);
  EXPECT_EQ(d.allocations, 0u);
  EXPECT_EQ(d.deallocations, 0u);
}

// The resource observer tether::stack_trace rides on: installed, it adds a
// call per init and destroy and nothing else; removed, the event bits it
// raised are clear again, so an init no longer leaves the inline fast path.
std::uint64_t observed_events = 0;
void count_observed(tether::resource&) noexcept { ++observed_events; }
constexpr tether::detail::resource_observer counting_observer{&count_observed, &count_observed};

TEST_F(HotPathAllocations, ResourceObserverAddsNoAllocationPerEvent) {
  observed_events = 0;
  tether::detail::set_resource_observer(&counting_observer);
  const allocation_delta d = count_allocations([&] {
    op o;
    tether::emit_init(o, "Job");
    { tether::callback_scope scope(o); }
    tether::emit_destroy(o);
  });
  tether::detail::set_resource_observer(nullptr);
  EXPECT_EQ(observed_events, 2u);
  EXPECT_EQ(d.allocations, 0u);
  EXPECT_EQ(d.deallocations, 0u);
  EXPECT_EQ(tether::detail::active_hook_events.load(), 0u);
}

// --- what does allocate, pinned ----------------------------------------------

// run(): one context frame (header + one entry per slot, one block) and one
// box holding the moved-in store; both freed when run() returns and nothing
// captured them. Both come from the thread's block cache
// (detail/block_cache.hpp), so once a run() has been made before, operator
// new is not called at all; under ASan, which bypasses the cache, it is
// called for both.
constexpr std::uint64_t uncached(std::uint64_t n) { return TETHER_BLOCK_CACHE ? 0 : n; }

TEST_F(HotPathAllocations, RunAllocatesOneFrameAndOneStoreBox) {
  tether::async_local_storage<int> als;
  als.run(0, [] {});
  const allocation_delta d = count_allocations([&] { als.run(1, [] {}); });
  EXPECT_EQ(d.allocations, uncached(2));
  EXPECT_EQ(d.deallocations, uncached(2));
}

// A nested run() of another instance copies the outer frame's entries into
// its own new frame (sharing their boxes): still one frame and one box.
TEST_F(HotPathAllocations, NestedRunAllocatesOneFrameAndOneStoreBox) {
  tether::async_local_storage<int> outer;
  tether::async_local_storage<int> inner;
  allocation_delta d;
  outer.run(1, [&] {
    inner.run(2, [] {});
    d = count_allocations([&] { inner.run(2, [] {}); });
  });
  EXPECT_EQ(d.allocations, uncached(2));
  EXPECT_EQ(d.deallocations, uncached(2));
}

// enter_with(): the same frame + box, kept until the callback scope it was
// called in ends (here: a resource's scope, so the test leaves no store set).
TEST_F(HotPathAllocations, EnterWithAllocatesOneFrameAndOneStoreBox) {
  tether::async_local_storage<int> als;
  tether::async_resource r("Job");
  r.run_in_async_scope([&] { als.enter_with(4); });
  allocation_delta during;
  const allocation_delta whole = count_allocations([&] {
    r.run_in_async_scope([&] { during = count_allocations([&] { als.enter_with(5); }); });
  });
  EXPECT_EQ(during.allocations, uncached(2));
  EXPECT_EQ(during.deallocations, 0u);
  EXPECT_EQ(whole.allocations, uncached(2));
  EXPECT_EQ(whole.deallocations, uncached(2));  // released when the scope ended
  EXPECT_EQ(als.get_store(), nullptr);
}

// exit(): a frame with this instance's entry emptied; no store box.
TEST_F(HotPathAllocations, ExitAllocatesOneFrame) {
  tether::async_local_storage<int> als;
  allocation_delta d;
  als.run(1, [&] {
    als.exit([] {});
    d = count_allocations([&] { als.exit([] {}); });
  });
  EXPECT_EQ(d.allocations, uncached(1));
  EXPECT_EQ(d.deallocations, uncached(1));
}

// The first run() on a fresh thread: the cache is empty, so both blocks come
// from operator new; at the thread's exit the cache gives them back.
TEST_F(HotPathAllocations, FirstRunOnAThreadAllocatesAndItsExitFreesTheCache) {
  tether::async_local_storage<int> als;
  // What a thread frees from its last statement to the end of its exit
  // destructors, with or without a run() in it (std::thread frees its own
  // state then too, hence the comparison).
  const auto exit_deallocations = [&](bool with_run, allocation_delta& first_run) {
    std::uint64_t freed = 0;
    std::thread([&] {
      // Constructed before the thread's first run(), so destroyed after the
      // cache's flush (thread_local destructors run in reverse).
      struct reader {
        std::uint64_t before = 0;
        std::uint64_t* out = nullptr;
        ~reader() { *out = counts.deallocations - before; }
      };
      static thread_local reader r;
      r.out = &freed;
      if (with_run) {
        first_run = count_allocations([&] { als.run(1, [] {}); });
      }
      r.before = counts.deallocations;
    }).join();
    return freed;
  };
  allocation_delta first_run;
  allocation_delta unused;
  const std::uint64_t with_run = exit_deallocations(true, first_run);
  const std::uint64_t without = exit_deallocations(false, unused);
  EXPECT_EQ(first_run.allocations, 2u);
  EXPECT_EQ(first_run.deallocations, uncached(2));
  EXPECT_EQ(with_run - without, TETHER_BLOCK_CACHE ? 2u : 0u);
}

// A block freed after the thread's exit work has run (by a thread_local
// destructor that runs later) goes straight to operator delete: the cache has
// been flushed and will not be again, so keeping the block would leak it.
TEST_F(HotPathAllocations, BlockFreedAfterTheThreadsExitWorkIsNotCached) {
  using tether::detail::block_cache;
  std::uint64_t freed = 0;
  std::thread([&] {
    struct late_free {
      void* block = nullptr;
      std::uint64_t* out = nullptr;
      ~late_free() {
        const std::uint64_t before = counts.deallocations;
        tether::detail::cached_free(block, block_cache::granule);
        *out = counts.deallocations - before;
      }
    };
    // Constructed before the thread's first cached free registers the exit
    // work, so destroyed after it (thread_local destructors run in reverse).
    static thread_local late_free late;
    late.out = &freed;
    late.block = tether::detail::cached_alloc(block_cache::granule);
    tether::detail::cached_free(tether::detail::cached_alloc(block_cache::granule),
                                block_cache::granule);
  }).join();
  EXPECT_EQ(freed, 1u);
}

// The cache is bounded: a thread keeps at most max_per_class blocks of one
// size class; blocks freed beyond that go back to operator delete.
TEST_F(HotPathAllocations, BlockCacheKeepsAtMostItsBoundPerClass) {
  using tether::detail::block_cache;
  constexpr std::size_t n = block_cache::max_per_class + 100;
  std::vector<void*> blocks;
  blocks.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    blocks.push_back(tether::detail::cached_alloc(block_cache::granule));
  }
  // The cache of this class is empty now (n is more than it can hold).
  const allocation_delta d = count_allocations([&] {
    for (void* p : blocks) {
      tether::detail::cached_free(p, block_cache::granule);
    }
  });
  EXPECT_EQ(d.deallocations, TETHER_BLOCK_CACHE ? n - block_cache::max_per_class : n);
#if TETHER_BLOCK_CACHE
  EXPECT_EQ(tether::detail::tls_block_cache.counts[0], block_cache::max_per_class);
#endif
}

// A type longer than the 31-character inline buffer is copied to the heap.
TEST_F(HotPathAllocations, AsyncResourceWithLongTypeAllocatesOnce) {
  constexpr std::string_view type = "a-type-of-exactly-32-characters!";
  static_assert(type.size() == 32);
  const allocation_delta d = count_allocations([&] { tether::async_resource r(type); });
  EXPECT_EQ(d.allocations, 1u);
  EXPECT_EQ(d.deallocations, 1u);
}

}  // namespace
