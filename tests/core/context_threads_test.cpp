// The execution context, ids, hooks and async_local_storage across threads.
// Labelled `threads`: this executable runs under ThreadSanitizer in CI.

#include <tether/async_hooks.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <tether/async_local_storage.hpp>

#include "support/counted_store.hpp"

namespace {

using tether::async_hook;
using tether::async_id;
using tether::async_local_storage;
using tether::async_resource;

template <class T>
std::optional<T> store_of(const async_local_storage<T>& als) {
  const T* p = als.get_store();
  return p != nullptr ? std::optional<T>(*p) : std::nullopt;
}

/// One hook event as seen by a callback: which, for what, on which thread.
struct event {
  std::string_view kind;
  async_id id;
  std::thread::id thread;
  bool operator==(const event&) const = default;
};

/// Records every event of an enabled hook, from any thread.
class recorder {
 public:
  tether::hook_callbacks callbacks() {
    return {
        .init = [this](async_id id, std::string_view, async_id,
                       tether::resource&) { add("init", id); },
        .before = [this](async_id id) { add("before", id); },
        .after = [this](async_id id) { add("after", id); },
        .destroy = [this](async_id id) { add("destroy", id); },
    };
  }

  /// The events recorded for `id`, in order.
  std::vector<event> for_id(async_id id) const {
    const std::lock_guard lock(mutex_);
    std::vector<event> out;
    for (const event& e : events_) {
      if (e.id == id) {
        out.push_back(e);
      }
    }
    return out;
  }

  std::vector<event> all() const {
    const std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  void add(std::string_view kind, async_id id) {
    const std::lock_guard lock(mutex_);
    events_.push_back({kind, id, std::this_thread::get_id()});
  }

  mutable std::mutex mutex_;
  std::vector<event> events_;
};

using tether::test::atomic_counted;

class ContextThreads : public ::testing::Test {
 protected:
  void SetUp() override { atomic_counted::reset(); }
};

// --- ids and the top level -------------------------------------------------------

TEST_F(ContextThreads, MainThreadTopLevelIdIsOne) {
  EXPECT_EQ(tether::execution_async_id(), 1u);
  EXPECT_EQ(tether::trigger_async_id(), 0u);
  EXPECT_EQ(tether::execution_async_resource().id(), 1u);
  EXPECT_EQ(tether::execution_async_resource().type(), "TOPLEVEL");
}

TEST_F(ContextThreads, NewThreadTopLevelHasFreshIdAndTriggerZero) {
  struct view {
    async_id first = 0;
    async_id second = 0;
    async_id trigger = 99;
    async_id top_resource = 0;
    std::string top_type;
    async_id child = 0;
    async_id child_trigger = 0;
  };
  auto observe = [](view& v) {
    v.first = tether::execution_async_id();
    v.trigger = tether::trigger_async_id();
    v.top_resource = tether::execution_async_resource().id();
    v.top_type = std::string(tether::execution_async_resource().type());
    async_resource child("Child");
    v.child = child.id();
    v.child_trigger = child.trigger_id();
    child.run_in_async_scope([] {});
    v.second = tether::execution_async_id();
  };
  view a;
  view b;
  std::thread(observe, std::ref(a)).join();
  std::thread(observe, std::ref(b)).join();

  for (const view* v : {&a, &b}) {
    EXPECT_NE(v->first, 0u);
    EXPECT_NE(v->first, 1u);
    EXPECT_EQ(v->second, v->first);  // stable within the thread
    EXPECT_EQ(v->trigger, 0u);
    EXPECT_EQ(v->top_resource, v->first);
    EXPECT_EQ(v->top_type, "TOPLEVEL");
    EXPECT_EQ(v->child_trigger, v->first);  // created at that thread's top level
    EXPECT_GT(v->child, v->first);          // ids increase on each thread
  }
  EXPECT_NE(a.first, b.first);
  // The main thread is unaffected.
  EXPECT_EQ(tether::execution_async_id(), 1u);
}

// A thread whose first tether call creates a resource: its top-level id is
// assigned then, and, being the context the resource was created in, it
// precedes the resource's id (as a trigger id always does).
TEST_F(ContextThreads, TopLevelIdPrecedesFirstResourceOfNewThread) {
  async_id id = 0;
  async_id trigger = 0;
  async_id top = 0;
  std::thread([&] {
    async_resource first("First");
    id = first.id();
    trigger = first.trigger_id();
    top = tether::execution_async_id();
  }).join();
  EXPECT_EQ(trigger, top);
  EXPECT_NE(top, 1u);
  EXPECT_LT(trigger, id);
}

TEST_F(ContextThreads, IdsAreUniqueAcrossThreadsAndIncreasingWithinEach) {
  constexpr std::size_t thread_count = 4;
  constexpr std::size_t per_thread = 10000;
  std::vector<std::vector<async_id>> ids(thread_count);
  std::vector<async_id> top_ids(thread_count);
  std::latch start(static_cast<std::ptrdiff_t>(thread_count));
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < thread_count; ++t) {
    threads.emplace_back([&, t] {
      std::vector<async_id>& mine = ids[t];
      mine.reserve(per_thread);
      start.arrive_and_wait();
      top_ids[t] = tether::execution_async_id();
      for (std::size_t i = 0; i < per_thread; ++i) {
        async_resource r("IdProbe");
        mine.push_back(r.id());
      }
    });
  }
  for (std::thread& th : threads) {
    th.join();
  }

  std::set<async_id> all;
  for (std::size_t t = 0; t < thread_count; ++t) {
    ASSERT_EQ(ids[t].size(), per_thread);
    EXPECT_TRUE(std::is_sorted(ids[t].begin(), ids[t].end(), std::less_equal<>{}) &&
                std::adjacent_find(ids[t].begin(), ids[t].end(), std::greater_equal<>{}) ==
                    ids[t].end())
        << "ids of thread " << t << " are not strictly increasing";
    all.insert(ids[t].begin(), ids[t].end());
    all.insert(top_ids[t]);
  }
  EXPECT_EQ(all.size(), thread_count * (per_thread + 1));
  EXPECT_EQ(all.count(0), 0u);
  EXPECT_EQ(all.count(1), 0u);
}

// --- a resource created on one thread and run on another ------------------------------

TEST_F(ContextThreads, ResourceRunOnAnotherThreadKeepsItsIdTriggerAndContext) {
  async_local_storage<std::string> als;
  std::unique_ptr<async_resource> res;
  async_id a_execution = 0;
  std::thread a([&] {
    a_execution = tether::execution_async_id();
    als.run("A-ctx", [&] { res = std::make_unique<async_resource>("CrossThread"); });
  });
  a.join();
  ASSERT_NE(res, nullptr);
  EXPECT_EQ(res->trigger_id(), a_execution);

  struct view {
    async_id execution = 0;
    async_id trigger = 0;
    bool current_is_res = false;
    std::optional<std::string> store;
    async_id child_trigger = 0;
  };
  view inside;
  view after;
  async_id b_top = 0;
  std::thread b([&] {
    b_top = tether::execution_async_id();
    als.enter_with("B-ctx");
    res->run_in_async_scope([&] {
      inside.execution = tether::execution_async_id();
      inside.trigger = tether::trigger_async_id();
      inside.current_is_res = &tether::execution_async_resource() == res.get();
      inside.store = store_of(als);
      async_resource child("Child");
      inside.child_trigger = child.trigger_id();
    });
    after.execution = tether::execution_async_id();
    after.trigger = tether::trigger_async_id();
    after.current_is_res = &tether::execution_async_resource() == res.get();
    after.store = store_of(als);
  });
  b.join();

  EXPECT_EQ(inside.execution, res->id());
  EXPECT_EQ(inside.trigger, a_execution);
  EXPECT_TRUE(inside.current_is_res);
  EXPECT_EQ(inside.store, "A-ctx");
  EXPECT_EQ(inside.child_trigger, res->id());

  EXPECT_NE(b_top, a_execution);
  EXPECT_EQ(after.execution, b_top);
  EXPECT_EQ(after.trigger, 0u);
  EXPECT_FALSE(after.current_is_res);
  EXPECT_EQ(after.store, "B-ctx");

  // The main thread's context is untouched by all of this.
  EXPECT_EQ(tether::execution_async_id(), 1u);
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST_F(ContextThreads, StaticBindFromOneThreadRunsInItsContextOnAnother) {
  async_local_storage<std::string> als;
  struct view {
    std::optional<std::string> store;
    async_id trigger = 0;
    async_id execution = 0;
  };
  std::function<view()> fn;
  async_id a_execution = 0;
  std::thread a([&] {
    a_execution = tether::execution_async_id();
    fn = als.run("A-bind", [&] {
      return async_local_storage<std::string>::bind([&] {
        return view{store_of(als), tether::trigger_async_id(), tether::execution_async_id()};
      });
    });
  });
  a.join();

  view seen;
  std::optional<std::string> b_after;
  async_id b_top = 0;
  std::thread b([&] {
    b_top = tether::execution_async_id();
    als.enter_with("B-own");
    seen = fn();
    b_after = store_of(als);
  });
  b.join();

  EXPECT_EQ(seen.store, "A-bind");
  EXPECT_EQ(seen.trigger, a_execution);
  EXPECT_NE(seen.execution, b_top);
  EXPECT_NE(seen.execution, a_execution);
  EXPECT_EQ(b_after, "B-own");
  fn = nullptr;  // the bound resource is destroyed here, on the main thread
}

TEST_F(ContextThreads, SnapshotFromOneThreadRunsInItsContextOnAnother) {
  async_local_storage<int> als;
  std::optional<decltype(async_local_storage<int>::snapshot())> snap;
  std::thread a([&] { als.run(123, [&] { snap.emplace(async_local_storage<int>::snapshot()); }); });
  a.join();
  std::optional<int> seen;
  std::thread b([&] { als.run(321, [&] { seen = (*snap)([&] { return store_of(als); }); }); });
  b.join();
  EXPECT_EQ(seen, 123);
}

TEST_F(ContextThreads, EnterWithOnOneThreadDoesNotReachAnother) {
  async_local_storage<int> als;
  async_resource scope("MainScope");
  std::latch thread_set(1);
  std::latch main_checked(1);
  std::optional<int> thread_before;
  std::optional<int> thread_after;
  std::optional<int> main_after_thread_set;
  scope.run_in_async_scope([&] {
    als.enter_with(1);
    std::thread t([&] {
      thread_before = store_of(als);
      als.enter_with(2);
      thread_set.count_down();
      main_checked.wait();
      thread_after = store_of(als);
    });
    thread_set.wait();
    main_after_thread_set = store_of(als);
    main_checked.count_down();
    t.join();
  });
  EXPECT_EQ(thread_before, std::nullopt);
  EXPECT_EQ(main_after_thread_set, 1);
  EXPECT_EQ(thread_after, 2);
}

TEST_F(ContextThreads, TopLevelEnterWithStoreIsReleasedWhenThreadExits) {
  async_local_storage<atomic_counted> als;
  async_local_storage<int> other;
  std::optional<int> seen;
  std::thread t([&] {
    als.enter_with(atomic_counted(1));
    // A run() of another instance with an enter_with inside rebuilds the
    // top-level frame; that one must be released at exit too.
    other.run(5, [&] { als.enter_with(atomic_counted(2)); });
    const atomic_counted* p = als.get_store();
    seen = p != nullptr ? std::optional<int>(p->value) : std::nullopt;
  });
  t.join();
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(atomic_counted::destroyed.load(), 2);
  EXPECT_EQ(atomic_counted::copies.load(), 0);
}

// --- hooks are process-wide -----------------------------------------------------------

TEST_F(ContextThreads, HookSeesOtherThreadsEventsOnThoseThreads) {
  recorder rec;
  async_hook hook = tether::create_hook(rec.callbacks());
  hook.enable();

  async_id id = 0;
  std::thread::id worker;
  std::thread t([&] {
    worker = std::this_thread::get_id();
    async_resource r("Worker");
    id = r.id();
    r.run_in_async_scope([] {});
  });
  t.join();
  hook.disable();

  ASSERT_NE(worker, std::this_thread::get_id());
  EXPECT_EQ(rec.for_id(id), (std::vector<event>{{"init", id, worker},
                                                {"before", id, worker},
                                                {"after", id, worker},
                                                {"destroy", id, worker}}));
}

TEST_F(ContextThreads, HookSeesEachEventOnTheThreadWhereItHappens) {
  recorder rec;
  async_hook hook = tether::create_hook(rec.callbacks());
  hook.enable();

  std::unique_ptr<async_resource> res;
  std::thread::id creator;
  std::thread::id runner;
  std::thread a([&] {
    creator = std::this_thread::get_id();
    res = std::make_unique<async_resource>("Travelling");
  });
  a.join();
  std::thread b([&] {
    runner = std::this_thread::get_id();
    res->run_in_async_scope([] {});
  });
  b.join();
  const async_id id = res->id();
  res.reset();  // destroyed on the main thread
  hook.disable();

  const std::thread::id main = std::this_thread::get_id();
  EXPECT_EQ(rec.for_id(id), (std::vector<event>{{"init", id, creator},
                                                {"before", id, runner},
                                                {"after", id, runner},
                                                {"destroy", id, main}}));
}

// Enabling and disabling hooks on one thread while two others create, run and
// destroy resources: no data race (TSan), and what the toggled hook saw of
// each resource is an in-order subset of its life, on its own thread.
TEST_F(ContextThreads, ConcurrentHookEnableDisableWhileThreadsRunResources) {
  async_local_storage<int> als;
  recorder rec;
  async_hook toggled = tether::create_hook(rec.callbacks());

  constexpr int worker_count = 2;
  constexpr int iterations = 2000;
  // The workers go on until the hook has been toggled at least min_toggles
  // times, however the scheduler treats the toggling thread. Each
  // enable()/disable() publishes a hook list that is kept until exit
  // (hook_registry.hpp), so the toggling is bounded too.
  constexpr int min_toggles = 20;
  constexpr int max_toggles = 2000;
  std::atomic<int> toggles{0};
  std::atomic<int> workers_done{0};
  std::atomic<int> progress{0};  // iterations finished by all workers
  std::atomic<int> wrong_context{0};
  std::atomic<int> transient_events{0};
  std::vector<std::vector<async_id>> ids(worker_count);
  std::vector<std::thread::id> worker_threads(worker_count);
  std::latch start(worker_count + 1);

  std::vector<std::thread> workers;
  for (int w = 0; w < worker_count; ++w) {
    workers.emplace_back([&, w] {
      const auto index = static_cast<std::size_t>(w);
      worker_threads[index] = std::this_thread::get_id();
      start.arrive_and_wait();
      for (int i = 0; i < iterations || toggles.load() < min_toggles; ++i) {
        als.run(i, [&] {
          async_resource r("Toggled");
          ids[index].push_back(r.id());
          r.run_in_async_scope([&] {
            if (tether::execution_async_id() != r.id() || store_of(als) != i) {
              ++wrong_context;
            }
            async_resource child("ToggledChild");
            ids[index].push_back(child.id());
            child.run_in_async_scope([&] {
              if (tether::trigger_async_id() != r.id() || store_of(als) != i) {
                ++wrong_context;
              }
            });
          });
        });
        ++progress;
      }
      ++workers_done;
    });
  }

  // Lets the workers finish `n` more iterations (or all of them) in the
  // current hook configuration.
  auto let_workers_run = [&](int n) {
    const int target = progress.load() + n;
    while (progress.load() < target && workers_done.load() < worker_count) {
      // Spin: a yield() costs a whole time slice on a busy 2-core machine.
    }
  };
  start.arrive_and_wait();
  while (workers_done.load() < worker_count && toggles < max_toggles) {
    toggled.enable();
    let_workers_run(2);
    {
      // A hook created, enabled and destroyed while events are dispatched.
      async_hook transient = tether::create_hook({.before = [&](async_id) { ++transient_events; }});
      transient.enable();
      let_workers_run(1);
    }
    toggled.disable();
    let_workers_run(2);
    ++toggles;
  }
  for (std::thread& th : workers) {
    th.join();
  }

  EXPECT_EQ(wrong_context.load(), 0);
  EXPECT_FALSE(toggled.enabled());

  // Every recorded event belongs to a worker's resource, happened on that
  // worker's thread, and per resource the events are an in-order subset of
  // init, before, after, destroy.
  std::vector<std::pair<async_id, std::thread::id>> owner;
  for (std::size_t w = 0; w < ids.size(); ++w) {
    for (async_id id : ids[w]) {
      owner.emplace_back(id, worker_threads[w]);
    }
  }
  std::sort(owner.begin(), owner.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  constexpr std::string_view life[] = {"init", "before", "after", "destroy"};
  std::map<async_id, int> last_stage;  // id -> index in `life` of its last event
  int foreign = 0;
  int wrong_thread = 0;
  int out_of_order = 0;
  for (const event& e : rec.all()) {
    const auto it = std::lower_bound(owner.begin(), owner.end(), e.id,
                                     [](const auto& x, async_id id) { return x.first < id; });
    if (it == owner.end() || it->first != e.id) {
      ++foreign;
      continue;
    }
    if (it->second != e.thread) {
      ++wrong_thread;
    }
    const int stage =
        static_cast<int>(std::find(std::begin(life), std::end(life), e.kind) - std::begin(life));
    const auto [seen, first] = last_stage.try_emplace(e.id, stage);
    if (!first) {
      if (stage <= seen->second) {
        ++out_of_order;
      }
      seen->second = stage;
    }
  }
  EXPECT_GE(toggles.load(), min_toggles);
  EXPECT_GT(rec.all().size(), 0u);  // the workers did run while it was enabled
  EXPECT_GT(transient_events.load(), 0);
  EXPECT_EQ(foreign, 0);
  EXPECT_EQ(wrong_thread, 0);
  EXPECT_EQ(out_of_order, 0);

  // With the toggling over, a hook enabled now sees a full life again.
  toggled.enable();
  async_id last = 0;
  std::thread::id last_thread;
  std::thread([&] {
    last_thread = std::this_thread::get_id();
    async_resource r("AfterToggling");
    last = r.id();
    r.run_in_async_scope([] {});
  }).join();
  toggled.disable();
  EXPECT_EQ(rec.for_id(last), (std::vector<event>{{"init", last, last_thread},
                                                  {"before", last, last_thread},
                                                  {"after", last, last_thread},
                                                  {"destroy", last, last_thread}}));
}

// --- frames shared between threads -------------------------------------------------------

TEST_F(ContextThreads, ConcurrentGetStoreFromFramesOfOneRun) {
  async_local_storage<std::string> als;
  std::unique_ptr<async_resource> shared;
  std::unique_ptr<async_resource> sibling;
  const std::string* run_store = nullptr;
  als.run("shared", [&] {
    run_store = als.get_store();
    shared = std::make_unique<async_resource>("Shared");
    sibling = std::make_unique<async_resource>("Sibling");
  });

  constexpr int iterations = 5000;
  std::atomic<int> wrong{0};
  std::latch start(2);
  auto reader = [&](async_resource& other) {
    start.arrive_and_wait();
    for (int i = 0; i < iterations; ++i) {
      // The same resource on both threads at once, and each thread's own.
      for (async_resource* r : {shared.get(), &other}) {
        r->run_in_async_scope([&] {
          const std::string* p = als.get_store();
          if (p != run_store || *p != "shared") {
            ++wrong;
          }
        });
      }
    }
  };
  std::thread t1(reader, std::ref(*sibling));
  std::thread t2(reader, std::ref(*shared));
  t1.join();
  t2.join();
  EXPECT_EQ(wrong.load(), 0);
}

// One frame, captured by 1000 resources, released from two threads at once:
// the store is destroyed exactly once, after the last resource, by the
// frame's home thread (frame_counting_threads_test.cpp has the details).
TEST_F(ContextThreads, FrameSharedByResourcesDestroyedOnTwoThreads) {
  async_local_storage<atomic_counted> als;
  constexpr std::size_t count = 1000;
  std::vector<std::unique_ptr<async_resource>> resources(count);
  als.run(atomic_counted(7), [&] {
    for (auto& r : resources) {
      r = std::make_unique<async_resource>("SharedFrame");
    }
  });
  ASSERT_EQ(atomic_counted::destroyed.load(), 0);

  std::atomic<int> wrong{0};
  std::latch start(2);
  auto destroy_range = [&](std::size_t begin, std::size_t end) {
    start.arrive_and_wait();
    for (std::size_t i = begin; i < end; ++i) {
      resources[i]->run_in_async_scope([&] {
        const atomic_counted* p = als.get_store();
        if (p == nullptr || p->value != 7) {
          ++wrong;
        }
        // Take and drop more references to the same frame meanwhile.
        for (int c = 0; c < 20; ++c) {
          async_resource child("Child");
        }
      });
      resources[i].reset();
    }
  };
  std::thread t1(destroy_range, std::size_t{0}, count / 2);
  std::thread t2(destroy_range, count / 2, count);
  t1.join();
  t2.join();
  EXPECT_EQ(wrong.load(), 0);
  // The resources' references were taken on this thread and dropped on the
  // others: the frame went home, and is freed at this thread's next frame.
  EXPECT_EQ(atomic_counted::destroyed.load(), 0);
  async_local_storage<int> other;
  other.run(1, [] {});
  EXPECT_EQ(atomic_counted::destroyed.load(), 1);
  EXPECT_EQ(atomic_counted::copies.load(), 0);
}

TEST_F(ContextThreads, DisableIsSeenByOtherThreads) {
  async_local_storage<int> als;
  std::unique_ptr<async_resource> r;
  als.run(1, [&] { r = std::make_unique<async_resource>("Captured"); });

  std::atomic<bool> saw_store{false};
  std::atomic<bool> saw_null{false};
  std::atomic<int> wrong{0};
  std::thread t([&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      const std::optional<int> v = r->run_in_async_scope([&] { return store_of(als); });
      if (v == 1) {
        saw_store = true;
      } else if (!v.has_value()) {
        saw_null = true;
        break;
      } else {
        ++wrong;
      }
    }
    // Once seen, the disable stays seen.
    for (int i = 0; i < 100; ++i) {
      if (r->run_in_async_scope([&] { return als.get_store(); }) != nullptr) {
        ++wrong;
      }
    }
  });
  while (!saw_store.load()) {
    std::this_thread::yield();
  }
  als.disable();
  t.join();
  EXPECT_TRUE(saw_null.load());
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
