// async_local_storage: Node's AsyncLocalStorage on the AsyncContextFrame model
// (Node 24). Single-threaded; everything here must work with no hook enabled,
// which the fixture checks. Cross-thread behaviour is in
// context_threads_test.cpp.

#include <tether/async_local_storage.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <tether/async_hooks.hpp>

namespace {

using tether::async_local_storage;
using tether::async_resource;

/// The current store by value (nullopt: none), so that comparisons print well
/// and no test dereferences a null get_store().
template <class T>
std::optional<T> store_of(const async_local_storage<T>& als) {
  const T* p = als.get_store();
  return p != nullptr ? std::optional<T>(*p) : std::nullopt;
}

/// The current store by reference; throws (failing the test) if there is
/// none, so that no test dereferences a null get_store().
template <class T>
T& store_ref(const async_local_storage<T>& als) {
  T* p = als.get_store();
  if (p == nullptr) {
    throw std::logic_error("get_store() is null here");
  }
  return *p;
}

/// A store that counts its copies, moves and the destruction of every value
/// that was not moved from (so one count per store value, however often it
/// was moved on its way into a frame).
struct counted {
  static inline int copies = 0;
  static inline int moves = 0;
  static inline int destroyed = 0;
  static void reset() { copies = moves = destroyed = 0; }

  explicit counted(int v) : value(v) {}
  counted(const counted& other) : value(other.value) { ++copies; }
  counted(counted&& other) noexcept : value(other.value) {
    other.moved_from = true;
    ++moves;
  }
  counted& operator=(const counted&) = delete;
  counted& operator=(counted&&) = delete;
  ~counted() {
    if (!moved_from) {
      ++destroyed;
    }
  }

  int value;
  bool moved_from = false;
};

std::optional<int> value_of(const async_local_storage<counted>& als) {
  const counted* p = als.get_store();
  return p != nullptr ? std::optional<int>(p->value) : std::nullopt;
}

struct test_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Every test here runs with no hook enabled: async_local_storage must not
/// depend on hooks (the AsyncContextFrame design).
class AsyncLocalStorage : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(tether::detail::active_hook_events.load(), 0u)
        << "a hook is enabled; these tests must run with none";
    counted::reset();
  }
};

// --- types --------------------------------------------------------------------

static_assert(!std::is_copy_constructible_v<async_local_storage<int>>);
static_assert(!std::is_copy_assignable_v<async_local_storage<int>>);
static_assert(!std::is_move_constructible_v<async_local_storage<int>>);
static_assert(!std::is_move_assignable_v<async_local_storage<int>>);
static_assert(
    std::is_same_v<decltype(std::declval<const async_local_storage<int>&>().get_store()), int*>);
static_assert(noexcept(std::declval<const async_local_storage<int>&>().get_store()));
static_assert(
    std::is_same_v<decltype(std::declval<async_local_storage<std::unique_ptr<int>>&>().get_store()),
                   std::unique_ptr<int>*>);

// What static bind() and snapshot() return is copyable when F is, and then
// converts to std::function; with a move-only F it is move-only.
using copyable_bound = decltype(async_local_storage<int>::bind([] { return 1; }));
static_assert(std::is_copy_constructible_v<copyable_bound>);
static_assert(std::is_convertible_v<copyable_bound, std::function<int()>>);
using move_only_bound =
    decltype(async_local_storage<int>::bind([p = std::unique_ptr<int>()] { return p != nullptr; }));
static_assert(!std::is_copy_constructible_v<move_only_bound>);
static_assert(std::is_move_constructible_v<move_only_bound>);
using snapshot_type = decltype(async_local_storage<int>::snapshot());
static_assert(std::is_copy_constructible_v<snapshot_type>);

// --- run ------------------------------------------------------------------------

TEST_F(AsyncLocalStorage, GetStoreIsNullOutsideRun) {
  async_local_storage<int> als;
  EXPECT_EQ(als.get_store(), nullptr);
  als.run(1, [] {});
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST_F(AsyncLocalStorage, RunReturnsTheFunctionsValue) {
  async_local_storage<int> als;
  EXPECT_EQ(als.run(1, [] { return std::string("result"); }), "result");
  EXPECT_EQ(als.run(1, [&] { return store_ref(als) + 41; }), 42);
}

TEST_F(AsyncLocalStorage, RunReturnsReferencesAsReferences) {
  async_local_storage<int> als;
  int target = 5;
  int& r = als.run(1, [&]() -> int& { return target; });
  EXPECT_EQ(&r, &target);
}

TEST_F(AsyncLocalStorage, RunForwardsArguments) {
  async_local_storage<int> als;
  const int sum = als.run(
      10, [&](int a, int b) { return store_ref(als) + a + b; }, 1, 2);
  EXPECT_EQ(sum, 13);

  // Move-only arguments are forwarded, not copied.
  auto owned = std::make_unique<int>(7);
  const int moved = als.run(
      1, [](std::unique_ptr<int> p) { return *p; }, std::move(owned));
  EXPECT_EQ(moved, 7);
  EXPECT_EQ(owned, nullptr);

  // Lvalue arguments arrive as lvalues (by reference).
  std::string text = "a";
  als.run(
      1, [](std::string& s) { s += "b"; }, text);
  EXPECT_EQ(text, "ab");

  // Anything std::invoke accepts: a member function pointer and its object.
  struct adder {
    int base;
    int add(int x) const { return base + x; }
  };
  const adder obj{100};
  EXPECT_EQ(als.run(1, &adder::add, obj, 5), 105);
}

TEST_F(AsyncLocalStorage, StoreIsVisibleInsideRun) {
  async_local_storage<std::string> als;
  std::optional<std::string> seen;
  als.run("request-1", [&] { seen = store_of(als); });
  EXPECT_EQ(seen, "request-1");
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST_F(AsyncLocalStorage, StoreCanBeModifiedThroughGetStore) {
  async_local_storage<int> als;
  als.run(1, [&] {
    store_ref(als) = 2;
    EXPECT_EQ(store_of(als), 2);
  });
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST_F(AsyncLocalStorage, NestedRunSeesInnerStoreAndRestoresOuter) {
  async_local_storage<int> als;
  std::vector<std::optional<int>> seen;
  als.run(1, [&] {
    seen.push_back(store_of(als));
    als.run(2, [&] {
      seen.push_back(store_of(als));
      als.run(3, [&] { seen.push_back(store_of(als)); });
      seen.push_back(store_of(als));
    });
    seen.push_back(store_of(als));
  });
  seen.push_back(store_of(als));
  EXPECT_EQ(seen, (std::vector<std::optional<int>>{1, 2, 3, 2, 1, std::nullopt}));
}

TEST_F(AsyncLocalStorage, NestedRunRestoresOuterStoreOnException) {
  async_local_storage<int> als;
  std::optional<int> after_throw;
  als.run(1, [&] {
    try {
      als.run(2, [&] {
        EXPECT_EQ(store_of(als), 2);
        throw test_error("inner");
      });
      ADD_FAILURE() << "the exception did not propagate out of run()";
    } catch (const test_error& e) {
      EXPECT_STREQ(e.what(), "inner");
      after_throw = store_of(als);
    }
  });
  EXPECT_EQ(after_throw, 1);
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST_F(AsyncLocalStorage, ExceptionFromTopLevelRunPropagatesAndRestores) {
  async_local_storage<int> als;
  EXPECT_THROW(als.run(1, []() -> int { throw test_error("boom"); }), test_error);
  EXPECT_EQ(als.get_store(), nullptr);
}

// --- exit -----------------------------------------------------------------------

TEST_F(AsyncLocalStorage, ExitHidesStoreAndRestoresIt) {
  async_local_storage<int> als;
  std::vector<std::optional<int>> seen;
  als.run(1, [&] {
    const int r = als.exit(
        [&](int x) {
          seen.push_back(store_of(als));
          als.run(2, [&] { seen.push_back(store_of(als)); });
          seen.push_back(store_of(als));
          return x * 2;
        },
        21);
    EXPECT_EQ(r, 42);
    seen.push_back(store_of(als));
  });
  EXPECT_EQ(seen, (std::vector<std::optional<int>>{std::nullopt, 2, std::nullopt, 1}));
}

TEST_F(AsyncLocalStorage, ExitHidesOnlyItsOwnInstance) {
  async_local_storage<int> a;
  async_local_storage<std::string> b;
  a.run(1, [&] {
    b.run("b", [&] {
      a.exit([&] {
        EXPECT_EQ(a.get_store(), nullptr);
        EXPECT_EQ(store_of(b), "b");
      });
      b.exit([&] {
        EXPECT_EQ(store_of(a), 1);
        EXPECT_EQ(b.get_store(), nullptr);
      });
      EXPECT_EQ(store_of(a), 1);
      EXPECT_EQ(store_of(b), "b");
    });
  });
}

TEST_F(AsyncLocalStorage, ExitRestoresStoreOnException) {
  async_local_storage<int> als;
  als.run(1, [&] {
    EXPECT_THROW(als.exit([&] {
      EXPECT_EQ(als.get_store(), nullptr);
      throw test_error("from exit");
    }),
                 test_error);
    EXPECT_EQ(store_of(als), 1);
  });
}

TEST_F(AsyncLocalStorage, ExitOutsideAnyRunIsHarmless) {
  async_local_storage<int> als;
  EXPECT_TRUE(als.exit([&] { return als.get_store() == nullptr; }));
  EXPECT_EQ(als.get_store(), nullptr);
}

// Node 24 (ACF) row of §J: enterWith('outer'); exit(() => enterWith('inner'));
// getStore() is 'outer' afterwards (v20 leaked 'inner', #62290).
TEST_F(AsyncLocalStorage, EnterWithInsideExitDoesNotLeakOut) {
  async_local_storage<std::string> als;
  async_resource scope("Scope");
  scope.run_in_async_scope([&] {
    als.enter_with("outer");
    als.exit([&] {
      als.enter_with("inner");
      EXPECT_EQ(store_of(als), "inner");
    });
    EXPECT_EQ(store_of(als), "outer");
  });
}

TEST_F(AsyncLocalStorage, ExitInsideRunHundredTimesLeaksNothing) {
  async_local_storage<counted> als;
  als.run(counted(1), [&] {
    for (int i = 0; i < 100; ++i) {
      als.exit([&] { ASSERT_EQ(als.get_store(), nullptr); });
      ASSERT_EQ(value_of(als), 1);
    }
  });
  EXPECT_EQ(als.get_store(), nullptr);
  EXPECT_EQ(counted::copies, 0);
  // The store was freed exactly once, when run() returned (ASan checks the
  // frames built by exit() were freed too).
  EXPECT_EQ(counted::destroyed, 1);
}

// --- enter_with -------------------------------------------------------------------

TEST_F(AsyncLocalStorage, EnterWithAtTopLevelLastsUntilChanged) {
  async_local_storage<std::string> als;
  async_local_storage<int> other;
  ASSERT_EQ(tether::execution_async_resource().type(), "TOPLEVEL");

  als.enter_with("first");
  EXPECT_EQ(store_of(als), "first");

  // Neither a run of another instance nor a resource's callback ends it.
  other.run(1, [&] { EXPECT_EQ(store_of(als), "first"); });
  EXPECT_EQ(store_of(als), "first");
  {
    async_resource r("AfterEnterWith");
    r.run_in_async_scope([&] { EXPECT_EQ(store_of(als), "first"); });
  }
  EXPECT_EQ(store_of(als), "first");

  als.enter_with("second");
  EXPECT_EQ(store_of(als), "second");
  // A run() on top restores the top-level store set by enter_with.
  als.run("inner", [&] { EXPECT_EQ(store_of(als), "inner"); });
  EXPECT_EQ(store_of(als), "second");
  EXPECT_EQ(other.get_store(), nullptr);
}

TEST_F(AsyncLocalStorage, EnterWithInsideAsyncScopeEndsWithTheScope) {
  async_local_storage<int> als;
  async_resource r("Scope");
  std::optional<int> inside;
  r.run_in_async_scope([&] {
    EXPECT_EQ(als.get_store(), nullptr);
    als.enter_with(5);
    inside = store_of(als);
  });
  EXPECT_EQ(inside, 5);
  EXPECT_EQ(als.get_store(), nullptr);

  // The next scope of the same resource starts from its captured frame again.
  r.run_in_async_scope([&] { EXPECT_EQ(als.get_store(), nullptr); });
}

TEST_F(AsyncLocalStorage, EnterWithInsideAsyncScopeWithinRunRestoresRunStore) {
  async_local_storage<int> als;
  async_resource r("Scope");
  als.run(1, [&] {
    r.run_in_async_scope([&] {
      EXPECT_EQ(als.get_store(), nullptr);  // r was created outside run
      als.enter_with(2);
      EXPECT_EQ(store_of(als), 2);
    });
    EXPECT_EQ(store_of(als), 1);
  });
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST_F(AsyncLocalStorage, EnterWithInsideAsyncScopeEndsAlsoOnThrow) {
  async_local_storage<int> als;
  async_resource r("Scope");
  EXPECT_THROW(r.run_in_async_scope([&] {
    als.enter_with(3);
    throw test_error("scope");
  }),
               test_error);
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST_F(AsyncLocalStorage, ResourcesCreatedAfterEnterWithSeeIt) {
  async_local_storage<int> als;
  async_resource outer("Scope");
  std::unique_ptr<async_resource> before;
  std::unique_ptr<async_resource> after;
  outer.run_in_async_scope([&] {
    before = std::make_unique<async_resource>("Before");
    als.enter_with(9);
    after = std::make_unique<async_resource>("After");
  });
  ASSERT_EQ(als.get_store(), nullptr);
  EXPECT_EQ(before->run_in_async_scope([&] { return store_of(als); }), std::nullopt);
  EXPECT_EQ(after->run_in_async_scope([&] { return store_of(als); }), 9);
}

// #58204 (ACF row of §J): every run_in_async_scope restores the frame the
// resource captured at construction, whatever enter_with did in between.
TEST_F(AsyncLocalStorage, NestedAsyncScopeRestoresConstructionFrame) {
  async_local_storage<int> als;
  async_resource outer("Scope");
  outer.run_in_async_scope([&] {
    als.enter_with(1);
    async_resource ar("Inner");
    ar.run_in_async_scope([&] {
      als.enter_with(2);
      EXPECT_EQ(store_of(als), 2);
      EXPECT_EQ(ar.run_in_async_scope([&] { return store_of(als); }), 1);
      EXPECT_EQ(store_of(als), 2);
    });
    EXPECT_EQ(store_of(als), 1);
  });
}

// --- disable ----------------------------------------------------------------------

TEST_F(AsyncLocalStorage, DisableHidesStoreUntilNextRun) {
  async_local_storage<int> als;
  als.run(1, [&] {
    als.disable();
    EXPECT_EQ(als.get_store(), nullptr);
    als.run(2, [&] { EXPECT_EQ(store_of(als), 2); });
    EXPECT_EQ(als.get_store(), nullptr);
  });
  EXPECT_EQ(als.get_store(), nullptr);
  als.run(3, [&] { EXPECT_EQ(store_of(als), 3); });
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST_F(AsyncLocalStorage, DisableHidesStoreInResourcesThatCapturedIt) {
  async_local_storage<int> als;
  std::unique_ptr<async_resource> captured;
  als.run(1, [&] { captured = std::make_unique<async_resource>("Captured"); });
  ASSERT_EQ(captured->run_in_async_scope([&] { return store_of(als); }), 1);

  als.disable();
  EXPECT_EQ(captured->run_in_async_scope([&] { return store_of(als); }), std::nullopt);
  // A new run() re-enables the instance; the resource created inside sees it.
  std::unique_ptr<async_resource> fresh;
  als.run(4, [&] { fresh = std::make_unique<async_resource>("Fresh"); });
  EXPECT_EQ(fresh->run_in_async_scope([&] { return store_of(als); }), 4);
}

TEST_F(AsyncLocalStorage, EnterWithAfterDisableReEnables) {
  async_local_storage<int> als;
  async_resource scope("Scope");
  scope.run_in_async_scope([&] {
    als.enter_with(1);
    als.disable();
    EXPECT_EQ(als.get_store(), nullptr);
    als.exit([&] { EXPECT_EQ(als.get_store(), nullptr); });
    EXPECT_EQ(als.get_store(), nullptr);  // exit() does not re-enable
    als.enter_with(2);
    EXPECT_EQ(store_of(als), 2);
  });
}

// §J, first row, v24 column: enterWith(C1); disable(); run(C2, f); then
// getStore() is undefined (v20 brought C1 back, #48480).
TEST_F(AsyncLocalStorage, RunAfterDisableDoesNotBringBackEnterWithStore) {
  async_local_storage<std::string> als;
  async_resource scope("Scope");
  std::vector<std::optional<std::string>> seen;
  scope.run_in_async_scope([&] {
    als.enter_with("C1");
    als.disable();
    als.run("C2", [&] { seen.push_back(store_of(als)); });
    seen.push_back(store_of(als));
  });
  EXPECT_EQ(seen, (std::vector<std::optional<std::string>>{"C2", std::nullopt}));
}

TEST_F(AsyncLocalStorage, DisableDoesNotTouchOtherInstances) {
  async_local_storage<int> a;
  async_local_storage<int> b;
  std::unique_ptr<async_resource> captured;
  a.run(1, [&] {
    b.run(2, [&] {
      captured = std::make_unique<async_resource>("Captured");
      a.disable();
      EXPECT_EQ(a.get_store(), nullptr);
      EXPECT_EQ(store_of(b), 2);
    });
  });
  captured->run_in_async_scope([&] {
    EXPECT_EQ(a.get_store(), nullptr);
    EXPECT_EQ(store_of(b), 2);
  });
}

// --- instances ------------------------------------------------------------------

TEST_F(AsyncLocalStorage, TwoInstancesAreIndependent) {
  async_local_storage<int> a;
  async_local_storage<std::string> b;
  a.run(1, [&] {
    EXPECT_EQ(b.get_store(), nullptr);
    b.run("x", [&] {
      EXPECT_EQ(store_of(a), 1);
      EXPECT_EQ(store_of(b), "x");
      a.run(2, [&] {
        EXPECT_EQ(store_of(a), 2);
        EXPECT_EQ(store_of(b), "x");
      });
      EXPECT_EQ(store_of(a), 1);
    });
    EXPECT_EQ(b.get_store(), nullptr);
    EXPECT_EQ(store_of(a), 1);
  });
}

// Node test-async-local-storage-isolation: a.run restores only a.
TEST_F(AsyncLocalStorage, EnterWithOfOtherInstanceInsideRunPersists) {
  async_local_storage<int> a;
  async_local_storage<std::string> b;
  async_resource scope("Scope");
  scope.run_in_async_scope([&] {
    a.enter_with(10);
    const int r = a.run(1, [&] {
      b.enter_with("x");
      EXPECT_EQ(store_of(a), 1);
      return 7;
    });
    EXPECT_EQ(r, 7);
    EXPECT_EQ(store_of(a), 10);
    EXPECT_EQ(store_of(b), "x");

    // Resources created now see both.
    async_resource later("Later");
    later.run_in_async_scope([&] {
      EXPECT_EQ(store_of(a), 10);
      EXPECT_EQ(store_of(b), "x");
    });
  });
  EXPECT_EQ(a.get_store(), nullptr);
  EXPECT_EQ(b.get_store(), nullptr);
}

TEST_F(AsyncLocalStorage, EnterWithOfOtherInstanceInsideThrowingRunPersists) {
  async_local_storage<int> a;
  async_local_storage<std::string> b;
  async_resource scope("Scope");
  scope.run_in_async_scope([&] {
    EXPECT_THROW(a.run(1,
                       [&] {
                         b.enter_with("y");
                         throw test_error("run");
                       }),
                 test_error);
    EXPECT_EQ(a.get_store(), nullptr);
    EXPECT_EQ(store_of(b), "y");
  });
}

TEST_F(AsyncLocalStorage, EnterWithOfSameInstanceInsideRunEndsWithRun) {
  async_local_storage<int> a;
  async_resource scope("Scope");
  scope.run_in_async_scope([&] {
    a.run(1, [&] {
      a.enter_with(2);
      EXPECT_EQ(store_of(a), 2);
    });
    EXPECT_EQ(a.get_store(), nullptr);
  });
}

TEST_F(AsyncLocalStorage, ManyInstancesEachKeepTheirStore) {
  constexpr int count = 50;
  std::vector<std::unique_ptr<async_local_storage<int>>> instances;
  for (int i = 0; i < count; ++i) {
    instances.push_back(std::make_unique<async_local_storage<int>>());
  }
  async_resource scope("Scope");
  std::unique_ptr<async_resource> later;
  scope.run_in_async_scope([&] {
    for (int i = 0; i < count; ++i) {
      instances[static_cast<std::size_t>(i)]->enter_with(i * 10);
    }
    for (int i = 0; i < count; ++i) {
      EXPECT_EQ(store_of(*instances[static_cast<std::size_t>(i)]), i * 10) << "instance " << i;
    }
    later = std::make_unique<async_resource>("Later");
  });
  for (const auto& als : instances) {
    EXPECT_EQ(als->get_store(), nullptr);
  }
  later->run_in_async_scope([&] {
    for (int i = 0; i < count; ++i) {
      EXPECT_EQ(store_of(*instances[static_cast<std::size_t>(i)]), i * 10) << "instance " << i;
    }
  });
}

// A destroyed instance's slot is reused; frames that still hold the old
// instance's entry must not show it to the new one.
TEST_F(AsyncLocalStorage, NewInstanceDoesNotSeeDestroyedInstancesStores) {
  auto old_als = std::make_unique<async_local_storage<int>>();
  std::unique_ptr<async_resource> captured;
  old_als->run(111, [&] { captured = std::make_unique<async_resource>("Captured"); });
  ASSERT_EQ(captured->run_in_async_scope([&] { return store_of(*old_als); }), 111);

  old_als.reset();
  async_local_storage<int> fresh;  // most likely takes the slot just freed
  EXPECT_EQ(captured->run_in_async_scope([&] { return fresh.get_store(); }), nullptr);

  // And once the new instance has a store, frames built from the old one
  // carry the new value, not the old one.
  std::optional<int> seen;
  captured->run_in_async_scope([&] { fresh.run(222, [&] { seen = store_of(fresh); }); });
  EXPECT_EQ(seen, 222);
}

// --- resources --------------------------------------------------------------------

TEST_F(AsyncLocalStorage, ResourceCreatedInsideRunSeesStoreLater) {
  async_local_storage<std::string> als;
  std::unique_ptr<async_resource> inside;
  async_resource outside("Outside");
  als.run("ctx", [&] { inside = std::make_unique<async_resource>("Inside"); });
  ASSERT_EQ(als.get_store(), nullptr);

  EXPECT_EQ(inside->run_in_async_scope([&] { return store_of(als); }), "ctx");
  EXPECT_EQ(outside.run_in_async_scope([&] { return store_of(als); }), std::nullopt);
  EXPECT_EQ(als.get_store(), nullptr);

  // Inside another run, each resource still sees its own captured frame.
  als.run("other", [&] {
    EXPECT_EQ(inside->run_in_async_scope([&] { return store_of(als); }), "ctx");
    EXPECT_EQ(outside.run_in_async_scope([&] { return store_of(als); }), std::nullopt);
    EXPECT_EQ(store_of(als), "other");
  });
}

TEST_F(AsyncLocalStorage, ResourceSharesTheStoreWithTheRun) {
  async_local_storage<int> als;
  std::unique_ptr<async_resource> r;
  als.run(1, [&] {
    r = std::make_unique<async_resource>("Shared");
    store_ref(als) = 2;  // one store value, not a copy per frame
  });
  EXPECT_EQ(r->run_in_async_scope([&] { return store_of(als); }), 2);
}

// --- bind and snapshot ------------------------------------------------------------

TEST_F(AsyncLocalStorage, StaticBindRunsInContextOfBindTime) {
  async_local_storage<int> als;
  auto bound = als.run(7, [&] {
    return async_local_storage<int>::bind([&](int add) { return store_ref(als) + add; });
  });
  EXPECT_EQ(bound(1), 8);
  als.run(100, [&] {
    EXPECT_EQ(bound(2), 9);
    EXPECT_EQ(store_of(als), 100);
  });

  // Copies share the context and convert to std::function.
  const auto copy = bound;
  EXPECT_EQ(copy(3), 10);
  const std::function<int(int)> fn = bound;
  EXPECT_EQ(fn(4), 11);
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST_F(AsyncLocalStorage, StaticBindRunsInsideABoundAnonymousFnResource) {
  auto bound = async_local_storage<int>::bind(
      [] { return std::string(tether::execution_async_resource().type()); });
  EXPECT_EQ(bound(), "bound-anonymous-fn");
  EXPECT_EQ(tether::execution_async_resource().type(), "TOPLEVEL");
}

TEST_F(AsyncLocalStorage, StaticBindCopiesShareOneResource) {
  async_local_storage<counted> als;
  auto bound = std::make_unique<std::function<tether::async_id()>>(als.run(counted(1), [] {
    return async_local_storage<counted>::bind([] { return tether::execution_async_id(); });
  }));
  const tether::async_id id = (*bound)();
  EXPECT_NE(id, 1u);
  {
    const std::function<tether::async_id()> copy = *bound;
    EXPECT_EQ(copy(), id);

    // The resource, and with it the captured frame and its store, lives
    // until the last copy is gone.
    bound.reset();
    EXPECT_EQ(counted::destroyed, 0);
    EXPECT_EQ(copy(), id);
  }
  EXPECT_EQ(counted::destroyed, 1);
  EXPECT_EQ(counted::copies, 0);
}

TEST_F(AsyncLocalStorage, StaticBindKeepsStateOfMutableFunctions) {
  auto bound = async_local_storage<int>::bind([n = 0]() mutable { return ++n; });
  EXPECT_EQ(bound(), 1);
  EXPECT_EQ(bound(), 2);
  std::function<int()> fn = bound;  // copies the function with its state
  EXPECT_EQ(fn(), 3);
  EXPECT_EQ(bound(), 3);
}

TEST_F(AsyncLocalStorage, StaticBindOutsideRunSeesNoStore) {
  async_local_storage<int> als;
  auto bound = async_local_storage<int>::bind([&] { return store_of(als); });
  EXPECT_EQ(als.run(5, bound), std::nullopt);
}

TEST_F(AsyncLocalStorage, StaticBindAcceptsMoveOnlyFunctions) {
  async_local_storage<int> als;
  auto bound = als.run(3, [&] {
    return async_local_storage<int>::bind(
        [p = std::make_unique<int>(4), &als] { return *p + store_ref(als); });
  });
  auto moved = std::move(bound);
  EXPECT_EQ(moved(), 7);
}

// Node test-async-local-storage-snapshot.
TEST_F(AsyncLocalStorage, SnapshotRunsFunctionInCapturedContext) {
  async_local_storage<int> als;
  auto snap = als.run(123, [] { return async_local_storage<int>::snapshot(); });
  const int v = als.run(321, [&] {
    return snap([&] {
      const int* p = als.get_store();
      return p != nullptr ? *p : -1;
    });
  });
  EXPECT_EQ(v, 123);
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST_F(AsyncLocalStorage, SnapshotForwardsArgumentsAndReturnsValue) {
  async_local_storage<std::string> als;
  auto snap = als.run("snap", [] { return async_local_storage<std::string>::snapshot(); });
  const std::string r =
      snap([&](const std::string& a, int b) { return store_ref(als) + a + std::to_string(b); },
           std::string("-"), 5);
  EXPECT_EQ(r, "snap-5");

  // Reusable, and several snapshots coexist.
  auto other = als.run("other", [] { return async_local_storage<std::string>::snapshot(); });
  EXPECT_EQ(snap([&] { return store_of(als); }), "snap");
  EXPECT_EQ(other([&] { return store_of(als); }), "other");
  const std::function<std::optional<std::string>(std::function<std::optional<std::string>()>)>
      as_function = snap;
  EXPECT_EQ(as_function([&] { return store_of(als); }), "snap");
}

// --- ownership of stores -------------------------------------------------------------

TEST_F(AsyncLocalStorage, StoresAreNeverCopiedPerHop) {
  async_local_storage<counted> als;
  async_local_storage<counted> other;
  std::vector<std::unique_ptr<async_resource>> resources;
  als.run(counted(1), [&] {
    for (int i = 0; i < 10; ++i) {
      resources.push_back(std::make_unique<async_resource>("Hop"));
    }
    other.run(counted(2), [&] {
      als.run(counted(3), [&] { EXPECT_EQ(value_of(als), 3); });
      EXPECT_EQ(value_of(other), 2);
    });
  });
  for (auto& r : resources) {
    r->run_in_async_scope([&] {
      EXPECT_EQ(value_of(als), 1);
      EXPECT_EQ(other.get_store(), nullptr);
      other.run(counted(4), [&] {
        async_resource nested("Nested");
        nested.run_in_async_scope([&] { EXPECT_EQ(value_of(other), 4); });
      });
    });
  }
  EXPECT_EQ(counted::copies, 0);
  // Stores 2, 3 and the ten 4s are gone; 1 is held by the resources.
  EXPECT_EQ(counted::destroyed, 12);
  resources.clear();
  EXPECT_EQ(counted::destroyed, 13);
  EXPECT_EQ(counted::copies, 0);
}

TEST_F(AsyncLocalStorage, StoreIsDestroyedWhenRunReturnsIfNothingCapturedIt) {
  async_local_storage<counted> als;
  als.run(counted(1), [&] { EXPECT_EQ(counted::destroyed, 0); });
  EXPECT_EQ(counted::destroyed, 1);
}

TEST_F(AsyncLocalStorage, StoreLivesAsLongAsTheLastFrameHoldingIt) {
  async_local_storage<counted> als;
  std::unique_ptr<async_resource> first;
  std::unique_ptr<async_resource> second;
  als.run(counted(1), [&] {
    first = std::make_unique<async_resource>("First");
    second = std::make_unique<async_resource>("Second");
  });
  EXPECT_EQ(counted::destroyed, 0);
  EXPECT_EQ(first->run_in_async_scope([&] { return value_of(als); }), 1);

  first.reset();
  EXPECT_EQ(counted::destroyed, 0);
  EXPECT_EQ(second->run_in_async_scope([&] { return value_of(als); }), 1);

  second.reset();
  EXPECT_EQ(counted::destroyed, 1);
  EXPECT_EQ(counted::copies, 0);
}

TEST_F(AsyncLocalStorage, StoreInheritedByAnotherInstancesFrameLivesWithIt) {
  async_local_storage<counted> a;
  async_local_storage<counted> b;
  std::unique_ptr<async_resource> r;
  a.run(counted(1), [&] {
    // b's frame is built from a's and shares a's store.
    b.run(counted(2), [&] { r = std::make_unique<async_resource>("Both"); });
    EXPECT_EQ(counted::destroyed, 0);
  });
  EXPECT_EQ(counted::destroyed, 0);
  r->run_in_async_scope([&] {
    EXPECT_EQ(value_of(a), 1);
    EXPECT_EQ(value_of(b), 2);
  });
  r.reset();
  EXPECT_EQ(counted::destroyed, 2);
}

TEST_F(AsyncLocalStorage, EnterWithStoreIsDestroyedWhenItsScopeEnds) {
  async_local_storage<counted> als;
  async_resource scope("Scope");
  scope.run_in_async_scope([&] {
    als.enter_with(counted(1));
    als.enter_with(counted(2));  // replaces the first frame
    EXPECT_EQ(counted::destroyed, 1);
    EXPECT_EQ(value_of(als), 2);
  });
  EXPECT_EQ(counted::destroyed, 2);
  EXPECT_EQ(counted::copies, 0);
}

TEST_F(AsyncLocalStorage, DestroyedInstanceStoreIsFreedWithTheFrame) {
  auto als = std::make_unique<async_local_storage<counted>>();
  std::unique_ptr<async_resource> r;
  als->run(counted(1), [&] { r = std::make_unique<async_resource>("Holder"); });
  als.reset();
  EXPECT_EQ(counted::destroyed, 0);  // the frame still holds it
  r.reset();
  EXPECT_EQ(counted::destroyed, 1);
}

TEST_F(AsyncLocalStorage, MoveOnlyStore) {
  async_local_storage<std::unique_ptr<int>> als;
  std::unique_ptr<async_resource> r;
  const int seen = als.run(std::make_unique<int>(42), [&] {
    r = std::make_unique<async_resource>("MoveOnly");
    std::unique_ptr<int>* p = als.get_store();
    return p != nullptr && *p != nullptr ? **p : -1;
  });
  EXPECT_EQ(seen, 42);
  EXPECT_EQ(als.get_store(), nullptr);
  const int later = r->run_in_async_scope([&] {
    std::unique_ptr<int>* p = als.get_store();
    return p != nullptr && *p != nullptr ? **p : -1;
  });
  EXPECT_EQ(later, 42);

  r->run_in_async_scope([&] {
    als.enter_with(std::make_unique<int>(43));
    std::unique_ptr<int>* p = als.get_store();
    ASSERT_NE(p, nullptr);
    ASSERT_NE(*p, nullptr);
    EXPECT_EQ(**p, 43);
  });
}

// --- robustness ---------------------------------------------------------------------

namespace nested {

// Recurses `remaining` more levels, each inside its own run(); returns the
// number of levels that saw their own store and got the outer one back.
int run_levels(async_local_storage<int>& als, int depth, int remaining) {
  if (remaining == 0) {
    return 0;
  }
  return als.run(depth, [&] {
    int ok = store_of(als) == depth ? 1 : 0;
    ok += run_levels(als, depth + 1, remaining - 1);
    return store_of(als) == depth ? ok : 0;
  });
}

}  // namespace nested

TEST_F(AsyncLocalStorage, ThousandNestedRuns) {
  async_local_storage<int> als;
  EXPECT_EQ(nested::run_levels(als, 1, 1000), 1000);
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST_F(AsyncLocalStorage, ThousandNestedRunsCapturedByAResource) {
  async_local_storage<int> outer;
  async_local_storage<counted> als;
  std::unique_ptr<async_resource> deepest;
  std::function<void(int)> go = [&](int depth) {
    if (depth == 1000) {
      deepest = std::make_unique<async_resource>("Deepest");
      return;
    }
    als.run(counted(depth), go, depth + 1);
  };
  outer.run(-1, go, 0);
  EXPECT_EQ(counted::destroyed, 999);  // only the innermost store is still held
  deepest->run_in_async_scope([&] {
    EXPECT_EQ(value_of(als), 999);
    EXPECT_EQ(store_of(outer), -1);
  });
  deepest.reset();
  EXPECT_EQ(counted::destroyed, 1000);
  EXPECT_EQ(counted::copies, 0);
}

}  // namespace
