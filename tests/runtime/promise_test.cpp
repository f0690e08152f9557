// promise<T>: coroutines, then/catch_/finally, resolvers, combinators, delay,
// unhandled rejections, and ordering against next_tick / queue_microtask /
// set_immediate. Expected orders checked against node v20 (the scripts are
// quoted next to the tests).
#include <tether/promise.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>
#include <tether/event_loop.hpp>
#include <tether/timers.hpp>

#include "runtime/loop_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using tether::async_id;
using tether::execution_async_id;
using tether::make_promise;
using tether::promise;
using tether::queue_microtask;
using tether::next_tick;

class Promise : public tether::test::loop_fixture {};

std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "?";
  }
}

// --- make_promise / resolver ---------------------------------------------------

TEST_F(Promise, MakePromiseResolveFulfilsAndAwaitersRunAsMicrotasks) {
  auto [p, r] = make_promise<int>();
  EXPECT_TRUE(p.is_pending());
  EXPECT_FALSE(r.settled());
  int got = 0;
  auto d = p.then([&](int v) {
    got = v;
    return v * 2;
  });
  r.resolve(21);
  EXPECT_TRUE(r.settled());
  EXPECT_TRUE(p.is_fulfilled());
  EXPECT_EQ(got, 0);  // reactions are microtasks
  r.resolve(5);       // no-op
  r.reject(std::make_exception_ptr(std::runtime_error("late")));  // no-op
  loop().run();
  EXPECT_EQ(got, 21);
  EXPECT_TRUE(d.is_fulfilled());
}

TEST_F(Promise, ResolverEventsInCallersContext) {
  auto [p, r] = make_promise<void>();
  const async_id pid = p.id();
  tether::set_timeout([r = std::move(r)]() mutable { r.resolve(); }, 1ms);
  const async_id tid = last_id("Timeout");
  loop().run();
  EXPECT_THAT(log(), ElementsAre(init("PROMISE", pid, top()), init("Timeout", tid, top()),
                                 before(tid), "promise_resolve " + std::to_string(pid),
                                 after(tid), destroy(tid)));
  EXPECT_TRUE(p.is_fulfilled());
}

TEST_F(Promise, ResolverCopiesShareThePromise) {
  auto [p, r] = make_promise<std::string>();
  tether::resolver<std::string> copy = r;
  r = {};  // one copy gone: the promise can still settle through the other
  EXPECT_FALSE(copy.settled());
  std::string got;
  auto d = p.then([&](std::string v) { got = std::move(v); });
  copy.resolve("via copy");
  EXPECT_TRUE(copy.settled());
  loop().run();
  EXPECT_EQ(got, "via copy");
  EXPECT_THROW(r.resolve("x"), tether::usage_error);  // moved-from / empty
}

TEST_F(Promise, RejectingWithANullExceptionPtrSaysSo) {
  auto [p, r] = make_promise<int>();
  r.reject(nullptr);
  std::string why;
  auto d = p.catch_([&](std::exception_ptr e) {
    why = what_of(e);
    return 0;
  });
  loop().run();
  EXPECT_THAT(why, HasSubstr("null std::exception_ptr"));
}

TEST_F(Promise, AdoptingItselfRejectsWithACycleError) {
  auto [p, r] = make_promise<int>();
  r.adopt(p);
  EXPECT_TRUE(p.is_rejected());
  std::string why;
  auto d = p.catch_([&](std::exception_ptr e) {
    why = what_of(e);
    return 0;
  });
  loop().run();
  EXPECT_THAT(why, HasSubstr("chaining cycle"));
}

TEST_F(Promise, RejectionStillUnreportedWhenTheLoopGoesLeaksNothing) {
  (void)promise<int>::reject(std::make_exception_ptr(std::runtime_error("never reported")));
  auto fails = []() -> promise<> { throw std::runtime_error("neither"); co_return; };
  (void)fails();
  destroy_loop();  // ASan: the tracked promises are released with the loop
}

TEST_F(Promise, ThenCallbackMayBeACoroutine) {
  std::vector<std::string> order;
  // The closure lives in the derived promise, which stays pending (and alive)
  // until the coroutine it returned has settled.
  auto d = promise<int>::resolve(2).then([&order](int v) -> promise<int> {
    order.push_back("start");
    co_await tether::delay(1ms);
    order.push_back("end");
    co_return v * 21;
  });
  int result = 0;
  auto e = d.then([&](int v) { result = v; });
  loop().run();
  EXPECT_EQ(result, 42);
  EXPECT_THAT(order, ElementsAre("start", "end"));
}

promise<int> add_one(promise<int> p) { co_return 1 + co_await p; }

TEST_F(Promise, CoroutineAwaitsResolver) {
  auto [p, r] = make_promise<int>();
  auto q = add_one(p);
  EXPECT_TRUE(q.is_pending());
  r.resolve(41);
  int result = 0;
  auto done = q.then([&](int v) { result = v; });
  loop().run();
  EXPECT_EQ(result, 42);
}

TEST_F(Promise, ResolverDroppedUnsettledReclaimsAwaiters) {
  bool destroyed_local = false;
  struct flag_on_destroy {
    bool* f;
    ~flag_on_destroy() { *f = true; }
  };
  auto waiter = [&](promise<int> p) -> promise<int> {
    flag_on_destroy guard{&destroyed_local};
    co_return co_await p;
  };
  promise<int> w;
  {
    auto [p, r] = make_promise<int>();
    w = waiter(p);
  }
  loop().run();
  // The waiter can never resume: its body is given up; its frame (and so its
  // locals) goes with its last handle.
  EXPECT_TRUE(w.is_pending());
  EXPECT_FALSE(destroyed_local);
  w = {};
  EXPECT_TRUE(destroyed_local);
}

}  // namespace

namespace {

promise<int> value_of(int v) { co_return v; }
promise<> nothing_async() { co_return; }

promise<int> fails_with(std::string what) {
  throw std::runtime_error(what);
  co_return 0;
}

// --- coroutines ----------------------------------------------------------------

TEST_F(Promise, CoroutineIsEagerAndAwaitAlwaysGoesThroughAMicrotask) {
  std::vector<std::string> order;
  auto f = [&]() -> promise<int> {
    order.push_back("body");
    const int v = co_await value_of(1);  // already settled: still a microtask
    order.push_back("resumed " + std::to_string(v));
    co_return v + 1;
  };
  auto p = f();
  order.push_back("returned");
  queue_microtask([&] { order.push_back("microtask"); });
  loop().run();
  // node: (async () => { log('body'); await 1; log('resumed') })(); log('returned');
  //       queueMicrotask(() => log('microtask'))  ->  body returned resumed microtask
  EXPECT_THAT(order, ElementsAre("body", "returned", "resumed 1", "microtask"));
  EXPECT_TRUE(p.is_fulfilled());
}

TEST_F(Promise, CoroutineWithoutSuspensionSettlesSynchronously) {
  auto p = value_of(7);
  EXPECT_TRUE(p.is_fulfilled());
  int v = 0;
  auto d = p.then([&](int x) { v = x; });
  loop().run();
  EXPECT_EQ(v, 7);
}

TEST_F(Promise, CoroutinesAwaitingEachOtherThreeDeep) {
  std::vector<std::string> order;
  auto c = [&]() -> promise<int> {
    order.push_back("c start");
    co_await tether::delay(1ms);
    order.push_back("c end");
    co_return 3;
  };
  auto b = [&]() -> promise<int> {
    order.push_back("b start");
    const int v = co_await c();
    order.push_back("b end");
    co_return v * 10;
  };
  auto a = [&]() -> promise<std::string> {
    order.push_back("a start");
    const int v = co_await b();
    order.push_back("a end");
    co_return std::to_string(v);
  };
  auto p = a();
  std::string result;
  auto d = p.then([&](std::string s) { result = std::move(s); });
  loop().run();
  EXPECT_EQ(result, "30");
  EXPECT_THAT(order,
              ElementsAre("a start", "b start", "c start", "c end", "b end", "a end"));
}

TEST_F(Promise, ExceptionEscapingCoroutineRejectsAndIsRethrownAtAwait) {
  bool uncaught = false;
  loop().on_uncaught_exception([&](std::exception_ptr) { uncaught = true; });
  std::string caught;
  auto f = [&]() -> promise<> {
    try {
      co_await fails_with("boom");
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
  };
  auto p = f();
  loop().run();
  EXPECT_EQ(caught, "boom");
  EXPECT_TRUE(p.is_fulfilled());
  EXPECT_FALSE(uncaught);
}

TEST_F(Promise, ExceptionAfterAwaitRejectsTheCoroutine) {
  auto f = []() -> promise<int> {
    co_await nothing_async();
    throw std::logic_error("after await");
  };
  auto p = f();
  std::string why;
  auto d = p.catch_([&](std::exception_ptr e) {
    why = what_of(e);
    return -1;
  });
  int v = 0;
  auto e = d.then([&](int x) { v = x; });
  loop().run();
  EXPECT_TRUE(p.is_rejected());
  EXPECT_EQ(why, "after await");
  EXPECT_EQ(v, -1);
}

TEST_F(Promise, MoveOnlyValues) {
  auto make = []() -> promise<std::unique_ptr<int>> { co_return std::make_unique<int>(5); };
  auto use = [&]() -> promise<int> {
    std::unique_ptr<int> p = co_await make();
    co_return *p;
  };
  auto p = use();
  auto q = make().then([](std::unique_ptr<int> v) { return *v + 1; });
  int a = 0;
  int b = 0;
  auto d1 = p.then([&](int v) { a = v; });
  auto d2 = q.then([&](int v) { b = v; });
  loop().run();
  EXPECT_EQ(a, 5);
  EXPECT_EQ(b, 6);
}

TEST_F(Promise, SharedValueIsCopiedToEveryConsumer) {
  auto p = promise<std::string>::resolve("shared");
  std::vector<std::string> seen;
  auto f = [&](promise<std::string> q) -> promise<> { seen.push_back(co_await q); };
  auto c1 = f(p);
  auto c2 = f(p);
  auto d = p.then([&](const std::string& s) { seen.push_back(s); });
  loop().run();
  EXPECT_THAT(seen, ElementsAre("shared", "shared", "shared"));
}

TEST_F(Promise, AwaitingAnEmptyHandleRejectsWithUsageError) {
  auto f = []() -> promise<> { co_await promise<int>(); };
  auto p = f();
  std::string why;
  auto d = p.catch_([&](std::exception_ptr e) { why = what_of(e); });
  loop().run();
  EXPECT_THAT(why, HasSubstr("empty promise handle"));
  EXPECT_THROW((void)promise<int>().then([](int) {}), tether::usage_error);
}

// --- then / catch_ / finally -------------------------------------------------------

TEST_F(Promise, ThenChainsTransformAndFlatten) {
  std::vector<std::string> order;
  auto p = promise<int>::resolve(1)
               .then([](int v) { return v + 1; })
               .then([](int v) { return value_of(v * 10); })  // flattened
               .then([](int v) { return std::to_string(v); })
               .then([&](std::string s) { order.push_back(s); });
  loop().run();
  EXPECT_THAT(order, ElementsAre("20"));
  EXPECT_TRUE(p.is_fulfilled());
}

TEST_F(Promise, ThenCallbackThrowingRejectsDerived) {
  auto d = promise<int>::resolve(1).then([](int) -> int { throw std::runtime_error("in then"); });
  std::string why;
  auto c = d.catch_([&](std::exception_ptr e) {
    why = what_of(e);
    return 0;
  });
  loop().run();
  EXPECT_TRUE(d.is_rejected());
  EXPECT_EQ(why, "in then");
}

TEST_F(Promise, RejectionSkipsThenAndReachesCatch) {
  std::vector<std::string> order;
  auto p = promise<int>::reject(std::make_exception_ptr(std::runtime_error("nope")))
               .then([&](int v) {
                 order.push_back("then");
                 return v;
               })
               .catch_([&](std::exception_ptr e) {
                 order.push_back("catch " + what_of(e));
                 return 5;
               })
               .then([&](int v) { order.push_back("then " + std::to_string(v)); });
  loop().run();
  EXPECT_THAT(order, ElementsAre("catch nope", "then 5"));
}

TEST_F(Promise, ThenWithRejectionHandler) {
  std::string got;
  auto d = promise<int>::reject(std::make_exception_ptr(std::runtime_error("r")))
               .then([](int v) { return std::to_string(v); },
                     [](std::exception_ptr e) { return "handled " + what_of(e); });
  auto e = d.then([&](std::string s) { got = std::move(s); });
  loop().run();
  EXPECT_EQ(got, "handled r");
}

TEST_F(Promise, FinallyPassesThroughAndRunsBothWays) {
  std::vector<std::string> order;
  auto ok = promise<int>::resolve(3).finally([&] { order.push_back("finally ok"); });
  auto bad = promise<int>::reject(std::make_exception_ptr(std::runtime_error("bad")))
                 .finally([&] { order.push_back("finally bad"); });
  int v = 0;
  std::string why;
  auto d1 = ok.then([&](int x) { v = x; });
  auto d2 = bad.catch_([&](std::exception_ptr e) {
    why = what_of(e);
    return 0;
  });
  loop().run();
  EXPECT_THAT(order, ElementsAre("finally ok", "finally bad"));
  EXPECT_EQ(v, 3);
  EXPECT_EQ(why, "bad");
}

TEST_F(Promise, FinallyThrowingOrAsyncCallback) {
  auto thrown = promise<int>::resolve(3).finally([]() { throw std::runtime_error("in finally"); });
  std::vector<std::string> order;
  auto waited = promise<int>::resolve(4).finally([&]() -> promise<> {
    order.push_back("finally start");
    co_await tether::delay(1ms);
    order.push_back("finally end");
  });
  auto d = waited.then([&](int v) { order.push_back("then " + std::to_string(v)); });
  std::string why;
  auto c = thrown.catch_([&](std::exception_ptr e) {
    why = what_of(e);
    return 0;
  });
  loop().run();
  EXPECT_EQ(why, "in finally");
  EXPECT_THAT(order, ElementsAre("finally start", "finally end", "then 4"));
}

// --- ordering (checked against node v20) ----------------------------------------------

// A chain of n thens on a resolved promise: marks t1..tn, one per microtask
// "tick", to count how many hops something else takes.
void ticker(tether::test::loop_fixture& fx, std::vector<std::string>& order, int n) {
  (void)fx;
  promise<> p = promise<>::resolve();
  for (int i = 1; i <= n; ++i) {
    p = p.then([&order, i] { order.push_back("t" + std::to_string(i)); });
  }
}

TEST_F(Promise, ThenIsAMicrotaskInFifoOrderAfterTicks) {
  // node: queueMicrotask(A); Promise.resolve().then(B); queueMicrotask(C);
  //       process.nextTick(tick); setImmediate(imm)  ->  tick A B C imm
  std::vector<std::string> order;
  queue_microtask([&] { order.push_back("A"); });
  auto b = promise<>::resolve().then([&] { order.push_back("B"); });
  queue_microtask([&] { order.push_back("C"); });
  next_tick([&] { order.push_back("tick"); });
  tether::set_immediate([&] { order.push_back("imm"); });
  loop().run();
  EXPECT_THAT(order, ElementsAre("tick", "A", "B", "C", "imm"));
}

TEST_F(Promise, AwaitingASettledPromiseTakesOneMicrotask) {
  // node: const p = Promise.resolve(1); (async () => { await p; log('after-await') })();
  //       ticker(3)  ->  after-await t1 t2 t3
  std::vector<std::string> order;
  auto p = promise<int>::resolve(1);
  auto f = [&]() -> promise<> {
    co_await p;
    order.push_back("after-await");
  };
  auto c = f();
  ticker(*this, order, 3);
  loop().run();
  EXPECT_THAT(order, ElementsAre("after-await", "t1", "t2", "t3"));
}

TEST_F(Promise, ReturningAPromiseFromThenTakesTwoExtraHops) {
  // node: Promise.resolve(1).then(() => Promise.resolve(2)).then(after-adopt); ticker(6)
  //       ->  t1 t2 t3 after-adopt t4 t5 t6
  std::vector<std::string> order;
  auto d = promise<int>::resolve(1)
               .then([](int) { return promise<int>::resolve(2); })
               .then([&](int v) { order.push_back("after-adopt " + std::to_string(v)); });
  ticker(*this, order, 6);
  loop().run();
  EXPECT_THAT(order, ElementsAre("t1", "t2", "t3", "after-adopt 2", "t4", "t5", "t6"));
}

TEST_F(Promise, FinallyTakesNodesHops) {
  // node: Promise.resolve(1).finally(() => log('finally-cb')).then(after-finally); ticker(6)
  //       ->  finally-cb t1 t2 t3 after-finally t4 t5 t6
  std::vector<std::string> order;
  auto d = promise<int>::resolve(1)
               .finally([&] { order.push_back("finally-cb"); })
               .then([&](int) { order.push_back("after-finally"); });
  ticker(*this, order, 6);
  loop().run();
  EXPECT_THAT(order,
              ElementsAre("finally-cb", "t1", "t2", "t3", "after-finally", "t4", "t5", "t6"));
}

TEST_F(Promise, AdoptTakesTwoHopsAfterTheFollowedPromiseSettles) {
  // node: let res; const q = new Promise(r => res = r); const outer = new Promise(r => r(q));
  //       outer.then(log('outer')); res(5); ticker(4)  ->  t1 t2 outer t3 t4
  std::vector<std::string> order;
  auto [q, rq] = make_promise<int>();
  auto [outer, ro] = make_promise<int>();
  ro.adopt(q);
  EXPECT_TRUE(ro.settled());
  EXPECT_TRUE(outer.is_pending());
  auto d = outer.then([&](int v) { order.push_back("outer " + std::to_string(v)); });
  rq.resolve(5);
  ticker(*this, order, 4);
  loop().run();
  EXPECT_THAT(order, ElementsAre("t1", "t2", "outer 5", "t3", "t4"));
}

TEST_F(Promise, CombinatorsOrdering) {
  // node: Promise.all([r1, r2]).then(all); Promise.race(..).then(race);
  //       Promise.any([rej, r2]).then(any); Promise.allSettled([rej, r2]).then(allSettled);
  //       ticker(4)  ->  t1 all race any allSettled t2 t3 t4
  std::vector<std::string> order;
  auto rej = [] { return promise<int>::reject(std::make_exception_ptr(std::runtime_error("x"))); };
  auto a = tether::all(std::vector{promise<int>::resolve(1), promise<int>::resolve(2)})
               .then([&](std::vector<int>) { order.push_back("all"); });
  auto r = tether::race(std::vector{promise<int>::resolve(1), promise<int>::resolve(2)})
               .then([&](int) { order.push_back("race"); });
  auto y = tether::any(std::vector{rej(), promise<int>::resolve(2)})
               .then([&](int) { order.push_back("any"); });
  auto s = tether::all_settled(std::vector{rej(), promise<int>::resolve(2)})
               .then([&](std::vector<tether::settled<int>>) { order.push_back("allSettled"); });
  ticker(*this, order, 4);
  loop().run();
  EXPECT_THAT(order, ElementsAre("t1", "all", "race", "any", "allSettled", "t2", "t3", "t4"));
}

// --- combinators ------------------------------------------------------------------------

TEST_F(Promise, AllCollectsInInputOrder) {
  auto slow = []() -> promise<int> {
    co_await tether::delay(5ms);
    co_return 1;
  };
  auto fast = []() -> promise<int> {
    co_await tether::delay(1ms);
    co_return 2;
  };
  std::vector<int> got;
  auto d = tether::all(std::vector{slow(), fast(), value_of(3)}).then([&](std::vector<int> v) {
    got = std::move(v);
  });
  bool empty_done = false;
  auto e = tether::all(std::vector<promise<int>>{}).then([&](std::vector<int> v) {
    empty_done = v.empty();
  });
  bool void_done = false;
  auto f = tether::all(std::vector{nothing_async(), tether::delay(1ms)}).then([&] {
    void_done = true;
  });
  loop().run();
  EXPECT_THAT(got, ElementsAre(1, 2, 3));
  EXPECT_TRUE(empty_done);
  EXPECT_TRUE(void_done);
}

TEST_F(Promise, AllRejectsWithTheFirstRejection) {
  auto late_fail = []() -> promise<int> {
    co_await tether::delay(2ms);
    throw std::runtime_error("late");
  };
  std::string why;
  auto d = tether::all(std::vector{value_of(1), late_fail(), fails_with("first")})
               .catch_([&](std::exception_ptr e) {
                 why = what_of(e);
                 return std::vector<int>{};
               });
  loop().run();
  EXPECT_EQ(why, "first");
}

TEST_F(Promise, AllSettledReportsEveryOutcome) {
  std::vector<tether::settled<int>> got;
  auto d = tether::all_settled(std::vector{value_of(1), fails_with("no"), value_of(3)})
               .then([&](std::vector<tether::settled<int>> v) { got = std::move(v); });
  std::vector<tether::settled<void>> got_void;
  auto e = tether::all_settled(std::vector{nothing_async(), promise<>::reject(std::make_exception_ptr(std::runtime_error("v")))})
               .then([&](std::vector<tether::settled<void>> v) { got_void = std::move(v); });
  loop().run();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(got[0].fulfilled);
  EXPECT_EQ(got[0].value, 1);
  EXPECT_FALSE(got[1].fulfilled);
  EXPECT_EQ(what_of(got[1].reason), "no");
  EXPECT_FALSE(got[1].value.has_value());
  EXPECT_EQ(got[2].value, 3);
  ASSERT_EQ(got_void.size(), 2u);
  EXPECT_TRUE(got_void[0].fulfilled);
  EXPECT_EQ(what_of(got_void[1].reason), "v");
}

TEST_F(Promise, RaceSettlesWithTheFirst) {
  auto after = [](std::chrono::milliseconds ms, int v) -> promise<int> {
    co_await tether::delay(ms);
    co_return v;
  };
  auto failing_after = [](std::chrono::milliseconds ms) -> promise<int> {
    co_await tether::delay(ms);
    throw std::runtime_error("lost");
  };
  int v = 0;
  auto d = tether::race(std::vector{after(20ms, 1), after(1ms, 2), failing_after(5ms)})
               .then([&](int x) { v = x; });
  std::string why;
  auto e = tether::race(std::vector{after(20ms, 1), failing_after(1ms)})
               .catch_([&](std::exception_ptr ex) {
                 why = what_of(ex);
                 return 0;
               });
  loop().run();
  EXPECT_EQ(v, 2);
  EXPECT_EQ(why, "lost");
}

TEST_F(Promise, RaceOfNothingStaysPending) {
  auto r = tether::race(std::vector<promise<int>>{});
  bool resumed = false;
  auto f = [&](promise<int> p) -> promise<> {
    co_await p;
    resumed = true;
  };
  auto c = f(r);
  loop().run();
  EXPECT_TRUE(r.is_pending());
  EXPECT_FALSE(resumed);
}

TEST_F(Promise, AnyTakesTheFirstFulfilmentOrAggregates) {
  int v = 0;
  auto d = tether::any(std::vector{fails_with("a"), value_of(2), value_of(3)}).then([&](int x) {
    v = x;
  });
  std::string why;
  std::size_t count = 0;
  auto e = tether::any(std::vector{fails_with("a"), fails_with("b")})
               .catch_([&](std::exception_ptr ex) {
                 try {
                   std::rethrow_exception(ex);
                 } catch (const tether::aggregate_error& agg) {
                   why = agg.what();
                   count = agg.errors().size();
                 }
                 return 0;
               });
  std::string why_empty;
  auto f = tether::any(std::vector<promise<int>>{}).catch_([&](std::exception_ptr ex) {
    why_empty = what_of(ex);
    return 0;
  });
  loop().run();
  EXPECT_EQ(v, 2);
  EXPECT_EQ(why, "All promises were rejected: a; b");
  EXPECT_EQ(count, 2u);
  EXPECT_EQ(why_empty, "All promises were rejected");
}

// --- delay --------------------------------------------------------------------------------

TEST_F(Promise, DelayResolvesAfterTheTimeout) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> order;
  auto f = [&]() -> promise<> {
    co_await tether::delay(20ms);
    order.push_back("delay");
  };
  auto c = f();
  tether::set_timeout([&] { order.push_back("timeout 5"); }, 5ms);
  loop().run();
  // libuv measures from its cached loop time, which may be a little older
  // than `start` (Node's timers do the same).
  EXPECT_GE(std::chrono::steady_clock::now() - start, 15ms);
  EXPECT_THAT(order, ElementsAre("timeout 5", "delay"));
}

// --- unhandled rejections -------------------------------------------------------------------

TEST_F(Promise, UnhandledRejectionMakesRunThrowAndTheLoopStaysUsable) {
  (void)fails_with("boom");  // discarded: nobody handles it
  try {
    loop().run();
    ADD_FAILURE() << "run() returned";
  } catch (const tether::unhandled_rejection& e) {
    EXPECT_STREQ(e.what(), "tether: unhandled promise rejection: boom");
    EXPECT_EQ(what_of(e.reason()), "boom");
  }
  bool ran = false;
  queue_microtask([&] { ran = true; });
  EXPECT_EQ(loop().run(), 0);
  EXPECT_TRUE(ran);
}

TEST_F(Promise, UnhandledRejectionOfANonStdException) {
  auto [p, r] = make_promise<int>();
  r.reject(std::make_exception_ptr(42));
  p = {};
  try {
    loop().run();
    ADD_FAILURE() << "run() returned";
  } catch (const tether::unhandled_rejection& e) {
    EXPECT_THAT(e.what(), StartsWith("tether: unhandled promise rejection: "));
  }
}

TEST_F(Promise, RejectionStopsTheLoopBeforeLaterMacrotasks) {
  bool timer_ran = false;
  tether::set_timeout([&] { timer_ran = true; }, 1ms);
  auto p = promise<>::reject(std::make_exception_ptr(std::runtime_error("stop")));
  EXPECT_THROW(loop().run(), tether::unhandled_rejection);
  EXPECT_FALSE(timer_ran);
  p = {};
  loop().run();  // carries on with the timer
  EXPECT_TRUE(timer_ran);
}

TEST_F(Promise, HandlerAttachedInTheSameDrainCancelsTheReport) {
  auto p = promise<int>::reject(std::make_exception_ptr(std::runtime_error("late catch")));
  std::string why;
  promise<int> c;
  // node: const p = Promise.reject(e); process.nextTick(() => queueMicrotask(() => p.catch(...)))
  //       -> no unhandledRejection
  next_tick([&] {
    queue_microtask([&] {
      c = p.catch_([&](std::exception_ptr e) {
        why = what_of(e);
        return 0;
      });
    });
  });
  EXPECT_EQ(loop().run(), 0);
  EXPECT_EQ(why, "late catch");
}

TEST_F(Promise, HandlerAttachedInALaterMacrotaskIsTooLate) {
  auto p = promise<int>::reject(std::make_exception_ptr(std::runtime_error("too late")));
  promise<int> c;
  tether::set_timeout([&] { c = p.catch_([](std::exception_ptr) { return 0; }); }, 1ms);
  EXPECT_THROW(loop().run(), tether::unhandled_rejection);
  loop().run();  // the timer still runs; the late catch_ handles it quietly
  EXPECT_TRUE(c.is_fulfilled());
}

TEST_F(Promise, ThenWithoutRejectionHandlerMovesTheRejectionToTheDerivedPromise) {
  auto p = promise<int>::reject(std::make_exception_ptr(std::runtime_error("moved")));
  auto d = p.then([](int v) { return v; });
  async_id reported = 0;
  loop().on_unhandled_rejection([&](std::exception_ptr) {
    reported = tether::execution_async_id();
  });
  EXPECT_EQ(loop().run(), 0);
  EXPECT_EQ(reported, d.id());  // p is handled (it has a reaction); d is not
}

TEST_F(Promise, InstalledHandlerIsCalledInTheRejectionContext) {
  tether::async_local_storage<std::string> als;
  std::vector<std::string> seen;
  async_id seen_id = 0;
  loop().on_unhandled_rejection([&](std::exception_ptr e) {
    seen.push_back(what_of(e) + " store " + (als.get_store() ? *als.get_store() : "none"));
    seen_id = tether::execution_async_id();
  });
  // node: process.on('unhandledRejection', ...); als.run('R', () => Promise.reject(e))
  //       -> the handler sees store 'R' (v24 ACF: the rejection-time frame)
  promise<> p;
  als.run("R", [&] { p = promise<>::reject(std::make_exception_ptr(std::runtime_error("boom"))); });
  EXPECT_EQ(loop().run(), 0);
  EXPECT_THAT(seen, ElementsAre("boom store R"));
  EXPECT_EQ(seen_id, p.id());
}

TEST_F(Promise, ThrowingRejectionHandlerStopsRun) {
  loop().on_unhandled_rejection([](std::exception_ptr) { throw std::runtime_error("handler"); });
  (void)fails_with("x");
  try {
    loop().run();
    ADD_FAILURE() << "run() returned";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "handler");
  }
}

TEST_F(Promise, RejectionsAfterTheOneThatStoppedRunAreReportedByTheNextRunsInOrder) {
  // Three rejected in one drain: the first stops run(); the other two wait,
  // in order, for the next run()s (each stops again), and none is lost.
  (void)fails_with("first");
  (void)fails_with("second");
  (void)fails_with("third");
  std::vector<std::string> reported;
  for (int i = 0; i < 3; ++i) {
    try {
      loop().run();
      ADD_FAILURE() << "run() " << i << " returned";
    } catch (const tether::unhandled_rejection& e) {
      reported.emplace_back(e.what());
    }
  }
  EXPECT_THAT(reported, ElementsAre("tether: unhandled promise rejection: first",
                                    "tether: unhandled promise rejection: second",
                                    "tether: unhandled promise rejection: third"));
  EXPECT_EQ(loop().run(), 0);
}

TEST_F(Promise, RejectionsLeftByAStoppedRunComeBeforeOnesMadeWhileReporting) {
  // The handler of "first" rejects "newer", then throws: run() stops with
  // "second" and "third" still to report. The next run() reports them, and
  // only then "newer", which was rejected after them.
  std::vector<std::string> reported;
  loop().on_unhandled_rejection([&](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      reported.emplace_back(x.what());
    }
    if (reported.back() == "first") {
      (void)fails_with("newer");
      throw std::runtime_error("stop");
    }
  });
  (void)fails_with("first");
  (void)fails_with("second");
  (void)fails_with("third");
  EXPECT_THROW(loop().run(), std::runtime_error);
  EXPECT_THAT(reported, ElementsAre("first"));
  EXPECT_EQ(loop().run(), 0);
  EXPECT_THAT(reported, ElementsAre("first", "second", "third", "newer"));
}

TEST_F(Promise, UncaughtExceptionHandlerGetsUnhandledRejections) {
  // Node's default mode 'throw': the rejection becomes an uncaught exception,
  // which an 'uncaughtException' listener may take.
  std::string got;
  loop().on_uncaught_exception([&](std::exception_ptr e) { got = what_of(e); });
  (void)fails_with("to uncaught");
  EXPECT_EQ(loop().run(), 0);
  EXPECT_EQ(got, "tether: unhandled promise rejection: to uncaught");
}

// --- async_local_storage ------------------------------------------------------------------

TEST_F(Promise, ThenSeesTheContextOfItsRegistration) {
  // Node 65: created in A, then() in B, resolved in C -> the callback sees B.
  tether::async_local_storage<std::string> als;
  auto made = als.run("A", [] { return make_promise<int>(); });
  promise<int>& p = made.first;
  tether::resolver<int>& r = made.second;
  std::string seen;
  promise<> d;
  als.run("B", [&] { d = p.then([&](int) { seen = *als.get_store(); }); });
  als.run("C", [&] { r.resolve(1); });
  loop().run();
  EXPECT_EQ(seen, "B");
}

TEST_F(Promise, AwaitKeepsTheCoroutinesOwnContext) {
  tether::async_local_storage<std::string> als;
  std::vector<std::string> seen;
  auto store = [&] { return als.get_store() != nullptr ? *als.get_store() : std::string("none"); };
  auto inner_b = [&]() -> promise<> {
    co_await tether::delay(1ms);
    als.enter_with("innerB");  // after an await: stays inside inner_b
    seen.push_back("inner_b " + store());
    co_await tether::delay(1ms);
    als.run("innerB-run", [&] { seen.push_back("inner_b run " + store()); });
  };
  auto inner_a = [&]() -> promise<> {
    als.enter_with("innerA");  // before the first await: leaks to the caller (Node 67)
    co_await tether::delay(1ms);
  };
  // Named: a lambda coroutine's captures live in the closure, which must
  // outlive the coroutine (a temporary closure would die at its first await).
  auto part_b = [&]() -> promise<> {
    co_await inner_b();
    seen.push_back("after inner_b " + store());
  };
  auto part_a = [&]() -> promise<> {
    co_await inner_a();
    seen.push_back("after inner_a " + store());
  };
  auto outer = [&]() -> promise<> {
    co_await als.run("outer", part_b);
    co_await als.run("outer2", part_a);
    seen.push_back("outer end " + store());
  };
  auto p = outer();
  loop().run();
  // node v20: the same three stores (see als.js in the promise notes).
  EXPECT_THAT(seen, ElementsAre("inner_b innerB", "inner_b run innerB-run", "after inner_b outer",
                                "after inner_a innerA", "outer end none"));
}

TEST_F(Promise, StoreOfAnAwaitedCoroutineNeverReachesTheAwaiter) {
  tether::async_local_storage<int> als;
  std::vector<int> seen;
  auto inner = [&]() -> promise<int> {
    co_await nothing_async();
    als.enter_with(2);
    co_await nothing_async();
    co_return *als.get_store();
  };
  auto outer = [&]() -> promise<> {
    als.enter_with(1);
    seen.push_back(co_await inner());
    seen.push_back(*als.get_store());
    co_await nothing_async();
    seen.push_back(*als.get_store());
  };
  auto p = outer();
  loop().run();
  EXPECT_THAT(seen, ElementsAre(2, 1, 1));
}

// --- scale and teardown ---------------------------------------------------------------------

TEST_F(Promise, HundredThousandAwaitsInALoop) {
  rec().disable();  // 500000 events: the recorder is not the point here
  tether::test::balance_counter counter;
  long sum = 0;
  auto f = [&]() -> promise<long> {
    for (int i = 0; i < 100000; ++i) {
      sum += co_await value_of(1);
    }
    co_return sum;
  };
  auto p = f();
  loop().run();
  EXPECT_EQ(sum, 100000);
  EXPECT_TRUE(p.is_fulfilled());
  p = {};
  EXPECT_EQ(counter.inits, 100001u);
  EXPECT_EQ(counter.live(), 0u);
  EXPECT_EQ(counter.problems, 0u);
  EXPECT_EQ(counter.befores, 100000u);  // one resumption per await
}

promise<int> link(promise<int> prev) { co_return 1 + co_await prev; }

TEST_F(Promise, HundredThousandCoroutinesAwaitingEachOther) {
  rec().disable();  // 100000s of events: the recorder is not the point here
  auto [first, r] = make_promise<int>();
  promise<int> p = first;
  for (int i = 0; i < 100000; ++i) {
    p = link(std::move(p));  // each frame holds the previous promise
  }
  first = {};
  r.resolve(0);  // resumes the chain, one microtask per link
  int result = 0;
  auto d = p.then([&](int v) { result = v; });
  loop().run();
  EXPECT_EQ(result, 100000);
  p = {};  // frees 100000 frames, iteratively
  d = {};
}

TEST_F(Promise, HundredThousandThens) {
  rec().disable();
  auto [first, r] = make_promise<int>();
  promise<int> p = first;
  for (int i = 0; i < 100000; ++i) {
    p = p.then([](int v) { return v + 1; });
  }
  r.resolve(0);
  int result = 0;
  auto d = p.then([&](int v) { result = v; });
  loop().run();
  EXPECT_EQ(result, 100000);
}

TEST_F(Promise, NeverSettlingChainIsReclaimedWithoutRecursion) {
  rec().disable();
  std::size_t destroyed = 0;
  struct counter {
    std::size_t* n;
    ~counter() { ++*n; }
  };
  auto waiter = [&](promise<int> prev) -> promise<int> {
    counter c{&destroyed};
    co_return co_await prev;
  };
  {
    auto [first, r] = make_promise<int>();
    promise<int> p = first;
    for (int i = 0; i < 100000; ++i) {
      p = waiter(std::move(p));
    }
    first = {};
    loop().run();  // nothing to do: everything waits on r
    EXPECT_EQ(destroyed, 0u);
  }  // r and p dropped: the whole chain can never settle
  EXPECT_EQ(destroyed, 100000u);
}

TEST_F(Promise, LoopTeardownReclaimsSuspendedCoroutines) {
  bool destroyed = false;
  struct flag {
    bool* f;
    ~flag() { *f = true; }
  };
  auto f = [&]() -> promise<> {
    flag guard{&destroyed};
    co_await tether::delay(1h);
  };
  auto g = [&]() -> promise<> { co_await f(); };
  (void)g();
  queue_microtask([] {});  // pending work dropped with the loop
  destroy_loop();          // the Timeout is dropped: its resolver goes, the waiters are reclaimed
  EXPECT_TRUE(destroyed);
}

TEST_F(Promise, LoopTeardownWithAQueuedResumption) {
  bool destroyed = false;
  struct flag {
    bool* f;
    ~flag() { *f = true; }
  };
  auto f = [&]() -> promise<> {
    flag guard{&destroyed};
    co_await nothing_async();  // queued, never run
  };
  (void)f();
  destroy_loop();
  EXPECT_TRUE(destroyed);
}

// --- a coroutine type that is not tether's awaiting a promise ---------------------------------

struct fire_and_forget {
  struct promise_type {
    fire_and_forget get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

fire_and_forget foreign_waiter(promise<int> p, int& out, async_id& id) {
  out = co_await p;
  id = execution_async_id();
}

TEST_F(Promise, ForeignCoroutineAwaitsThroughAThrowawayPromise) {
  auto [p, r] = make_promise<int>();
  int out = 0;
  async_id id = 0;
  foreign_waiter(p, out, id);
  const async_id throwaway = last_id("PROMISE");
  EXPECT_NE(throwaway, p.id());
  r.resolve(9);
  loop().run();
  EXPECT_EQ(out, 9);
  EXPECT_EQ(id, throwaway);  // Node's model: the continuation runs in the throwaway promise
  EXPECT_EQ(rec().invocations(throwaway),
            (tether::test::invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));
}

}  // namespace
