// promise<T> as async resources: the exact init / before / after /
// promise_resolve / destroy sequences, ids and trigger ids, and what the
// execution context looks like inside reactions and after co_await. Node:
// test/async-hooks/test-promise.js, parallel/test-async-hooks-promise*.js,
// test-async-hooks-async-await.js (see promise.hpp for where tether maps
// Node's events differently on purpose: no throwaway promise per await,
// destroy when the last handle goes instead of at GC).
#include <tether/promise.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/event_loop.hpp>
#include <tether/timers.hpp>

#include "runtime/loop_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using tether::async_id;
using tether::execution_async_id;
using tether::make_promise;
using tether::promise;
using tether::trigger_async_id;
using tether::test::invocation_counts;

class PromiseHooks : public tether::test::loop_fixture {
 protected:
  static std::string resolved(async_id id) { return "promise_resolve " + std::to_string(id); }
  static std::string init_promise(async_id id, async_id trigger) {
    return init("PROMISE", id, trigger);
  }
};

promise<int> one() { co_return 1; }
promise<> nothing_async() { co_return; }

TEST_F(PromiseHooks, ResolveIsInitThenPromiseResolve) {
  auto p = promise<int>::resolve(1);
  const async_id id = p.id();
  auto r = promise<int>::reject(std::make_exception_ptr(std::runtime_error("x")));
  const async_id rid = r.id();
  auto c = r.catch_([](std::exception_ptr) { return 0; });  // handled
  const async_id cid = c.id();
  p = {};
  loop().run();
  r = {};
  c = {};
  EXPECT_THAT(log(), ElementsAre(init_promise(id, top()), resolved(id), init_promise(rid, top()),
                                 resolved(rid), init_promise(cid, rid), destroy(id), before(cid),
                                 resolved(cid), after(cid), destroy(rid), destroy(cid)));
}

TEST_F(PromiseHooks, ThenReactionRunsInsideTheDerivedPromise) {
  // Node 17/18: the derived promise's trigger is the parent; its callback
  // runs in its before/after with executionAsyncId() == derived,
  // triggerAsyncId() == parent; promiseResolve before its after.
  auto p = promise<int>::resolve(1);
  async_id in_cb = 0;
  async_id in_cb_trigger = 0;
  std::string type;
  auto d = p.then([&](int) {
    mark("then");
    in_cb = execution_async_id();
    in_cb_trigger = trigger_async_id();
    type = std::string(tether::execution_async_resource().type());
  });
  const async_id pid = p.id();
  const async_id did = d.id();
  loop().run();
  p = {};
  d = {};
  EXPECT_THAT(log(), ElementsAre(init_promise(pid, top()), resolved(pid), init_promise(did, pid),
                                 before(did), "then", resolved(did), after(did), destroy(pid),
                                 destroy(did)));
  EXPECT_EQ(in_cb, did);
  EXPECT_EQ(in_cb_trigger, pid);
  EXPECT_EQ(type, "PROMISE");
}

TEST_F(PromiseHooks, CoroutineResumesInsideItsOwnPromise) {
  async_id resumed_id = 0;
  async_id resumed_trigger = 0;
  auto g = [&]() -> promise<int> {
    mark("g body");
    const async_id body_id = execution_async_id();  // the caller's, as in Node
    const int v = co_await one();
    mark("g resumed");
    resumed_id = execution_async_id();
    resumed_trigger = trigger_async_id();
    EXPECT_EQ(body_id, top());
    co_return v + 1;
  };
  auto p = g();
  const async_id gid = p.id();
  const async_id fid = gid + 1;
  loop().run();
  EXPECT_TRUE(p.is_fulfilled());
  p = {};
  // Node would add, per await, a throwaway PROMISE (trigger: the awaited
  // promise) and resume inside it; tether resumes inside g's own PROMISE.
  EXPECT_THAT(log(), ElementsAre(init_promise(gid, top()), "g body", init_promise(fid, top()),
                                 resolved(fid), before(gid), destroy(fid), "g resumed",
                                 resolved(gid), after(gid), destroy(gid)));
  EXPECT_EQ(resumed_id, gid);
  EXPECT_EQ(resumed_trigger, top());
}

TEST_F(PromiseHooks, AwaitingDelay) {
  auto c = [&]() -> promise<> {
    co_await tether::delay(1ms);
    mark("after delay");
  };
  auto p = c();
  const async_id cid = p.id();
  const async_id did = cid + 1;  // delay's PROMISE, created first (new Promise(...))
  const async_id tid = last_id("Timeout");
  loop().run();
  p = {};
  EXPECT_THAT(log(), ElementsAre(init_promise(cid, top()), init_promise(did, top()),
                                 init("Timeout", tid, top()), before(tid), resolved(did),
                                 after(tid), destroy(tid), before(cid), destroy(did),
                                 "after delay", resolved(cid), after(cid), destroy(cid)));
}

TEST_F(PromiseHooks, ThreeDeepIdsAndTriggers) {
  struct seen {
    async_id id = 0;
    async_id trigger = 0;
  };
  seen in_a, in_b, in_c;
  async_id late_trigger = 0;
  auto c = [&]() -> promise<int> {
    co_await tether::delay(1ms);
    in_c = {execution_async_id(), trigger_async_id()};
    co_return 1;
  };
  auto b = [&]() -> promise<int> {
    const int v = co_await c();
    in_b = {execution_async_id(), trigger_async_id()};
    co_return v + 1;
  };
  auto a = [&]() -> promise<int> {
    const int v = co_await b();
    in_a = {execution_async_id(), trigger_async_id()};
    // Created after an await, i.e. inside a's own resource: trigger a.
    auto late = nothing_async();
    late_trigger = rec().activities().back().trigger;
    co_return v + 1;
  };
  auto p = a();
  const auto acts = rec().activities_of_type("PROMISE");
  ASSERT_GE(acts.size(), 3u);
  const async_id aid = acts[0].id;
  const async_id bid = acts[1].id;
  const async_id cid = acts[2].id;
  // The synchronous parts run in the caller's context: every trigger is top.
  EXPECT_EQ(acts[0].trigger, top());
  EXPECT_EQ(acts[1].trigger, top());
  EXPECT_EQ(acts[2].trigger, top());
  loop().run();
  EXPECT_EQ(in_c.id, cid);
  EXPECT_EQ(in_b.id, bid);
  EXPECT_EQ(in_a.id, aid);
  EXPECT_EQ(in_a.trigger, top());
  EXPECT_EQ(late_trigger, aid);
  p = {};
  EXPECT_EQ(rec().invocations(aid),
            (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1,
                               .promise_resolve = 1}));
}

TEST_F(PromiseHooks, OneBeforeAfterPairPerAwait) {
  auto f = []() -> promise<> {
    co_await nothing_async();
    co_await nothing_async();
    co_await nothing_async();
  };
  auto p = f();
  const async_id id = p.id();
  loop().run();
  p = {};
  EXPECT_EQ(rec().invocations(id),
            (invocation_counts{.init = 1, .before = 3, .after = 3, .destroy = 1,
                               .promise_resolve = 1}));
  // 1 coroutine + 3 awaited: no throwaway promise per await.
  EXPECT_EQ(rec().activities_of_type("PROMISE").size(), 4u);
}

TEST_F(PromiseHooks, RejectedCoroutineFiresPromiseResolve) {
  auto f = []() -> promise<> {
    co_await nothing_async();
    throw std::runtime_error("x");
  };
  auto p = f();
  auto c = p.catch_([](std::exception_ptr) {});
  const async_id id = p.id();
  loop().run();
  EXPECT_TRUE(p.is_rejected());
  EXPECT_EQ(rec().invocations(id).promise_resolve, 1);
}

TEST_F(PromiseHooks, ResolverSettlesInTheCallersContext) {
  auto [p, r] = make_promise<int>();
  const async_id pid = p.id();
  async_id ctx = 0;
  tether::set_immediate([&, r = std::move(r)]() mutable {
    ctx = execution_async_id();
    r.resolve(1);
    r.resolve(2);  // no-op: no second promise_resolve
  });
  const async_id iid = last_id("Immediate");
  loop().run();
  EXPECT_THAT(log(), ElementsAre(init_promise(pid, top()), init("Immediate", iid, top()),
                                 before(iid), resolved(pid), after(iid), destroy(iid)));
  EXPECT_EQ(ctx, iid);
}

TEST_F(PromiseHooks, AdoptionHopsRunInTheOuterPromise) {
  auto [q, rq] = make_promise<int>();
  auto [o, ro] = make_promise<int>();
  const async_id qid = q.id();
  const async_id oid = o.id();
  ro.adopt(q);
  rq.resolve(1);
  loop().run();
  EXPECT_TRUE(o.is_fulfilled());
  // Node 20: resolving with a thenable queues a job running its then() inside
  // the outer promise; the outer gets promiseResolve when the thenable
  // settles it. (Node also creates a throwaway promise for that then().)
  EXPECT_THAT(log(), ElementsAre(init_promise(qid, top()), init_promise(oid, top()), resolved(qid),
                                 before(oid), after(oid), before(oid), resolved(oid),
                                 after(oid)));
}

TEST_F(PromiseHooks, CombinatorReactionsRunInsideItsPromise) {
  auto a = promise<int>::resolve(1);
  auto b = promise<int>::resolve(2);
  auto all = tether::all(std::vector{a, b});
  const async_id aid = a.id();
  const async_id bid = b.id();
  const async_id rid = all.id();
  loop().run();
  a = {};
  b = {};
  all = {};
  EXPECT_THAT(log(), ElementsAre(init_promise(aid, top()), resolved(aid), init_promise(bid, top()),
                                 resolved(bid), init_promise(rid, top()), before(rid), after(rid),
                                 before(rid), resolved(rid), after(rid), destroy(aid),
                                 destroy(bid), destroy(rid)));
}

TEST_F(PromiseHooks, DestroyWaitsForTheLastHandleAndTheCoroutine) {
  auto f = []() -> promise<> { co_await tether::delay(1ms); };
  auto p = f();
  const async_id id = p.id();
  p = {};  // the coroutine still runs: no destroy yet
  EXPECT_EQ(rec().invocations(id).destroy, 0);
  loop().run();
  EXPECT_EQ(rec().invocations(id),
            (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1,
                               .promise_resolve = 1}));
}

TEST_F(PromiseHooks, FinallyCreatesNodesExtraPromises) {
  // Node: p.finally(f) = p.then(thenFinally, catchFinally), and thenFinally
  // creates Promise.resolve(f()) and its .then(() => value).
  auto p = promise<int>::resolve(1);
  auto d = p.finally([] {});
  loop().run();
  EXPECT_EQ(rec().activities_of_type("PROMISE").size(), 4u);
  const auto acts = rec().activities_of_type("PROMISE");
  EXPECT_EQ(acts[1].trigger, acts[0].id);  // the finally-derived promise
  EXPECT_EQ(acts[2].trigger, acts[1].id);  // Promise.resolve(f()), created in its reaction
  EXPECT_EQ(acts[3].trigger, acts[2].id);  // .then(() => value)
}

TEST_F(PromiseHooks, PromisesMadeInsideAHookAreHidden) {
  tether::hook_callbacks cb;
  int made = 0;
  cb.init = [&](async_id, std::string_view type, async_id, tether::resource&) {
    if (type == "Timeout") {
      auto inside = promise<int>::resolve(1);  // invisible to every hook
      ++made;
    }
  };
  auto hook = tether::create_hook(std::move(cb));
  hook.enable();
  tether::set_timeout([] {}, 1ms);
  loop().run();
  hook.disable();
  EXPECT_EQ(made, 1);
  EXPECT_TRUE(rec().activities_of_type("PROMISE").empty());
}

}  // namespace
