// Immediates: set_immediate / clear_immediate / ref / unref as "Immediate"
// resources run in the check phase. Node: test/async-hooks/test-immediate.js,
// parallel/test-async-hooks-top-level-clearimmediate.js,
// parallel/test-timers-immediate*.js. Deliberate difference from Node:
// `destroy` fires synchronously, right after the `after` (or inside
// clear_immediate).
#include <tether/timers.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <utility>
#include <stdexcept>
#include <string>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>
#include <tether/event_loop.hpp>

#include "runtime/chain_stress.hpp"
#include "runtime/loop_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using tether::async_id;
using tether::clear_immediate;
using tether::execution_async_id;
using tether::immediate;
using tether::next_tick;
using tether::queue_microtask;
using tether::set_immediate;
using tether::set_timeout;
using tether::trigger_async_id;
using tether::test::invocation_counts;

class Immediate : public tether::test::loop_fixture {};

TEST_F(Immediate, SetImmediateIsOneImmediateResource) {
  async_id in_cb = 0;
  async_id in_cb_trigger = 0;
  std::string type;
  const immediate i = set_immediate([&] {
    mark("cb");
    in_cb = execution_async_id();
    in_cb_trigger = trigger_async_id();
    type = std::string(tether::execution_async_resource().type());
  });
  const async_id id = i.id();
  ASSERT_NE(id, 0u);
  EXPECT_THAT(log(), ElementsAre(init("Immediate", id, top())));  // init is synchronous
  EXPECT_EQ(loop().run(), 0);
  EXPECT_THAT(log(),
              ElementsAre(init("Immediate", id, top()), before(id), "cb", after(id), destroy(id)));
  EXPECT_EQ(in_cb, id);
  EXPECT_EQ(in_cb_trigger, top());
  EXPECT_EQ(type, "Immediate");
  EXPECT_EQ(execution_async_id(), top());
}

TEST_F(Immediate, ImmediatesRunInSchedulingOrder) {
  std::vector<int> order;
  for (int i = 0; i < 10; ++i) {
    set_immediate([&order, i] { order.push_back(i); });
  }
  loop().run();
  EXPECT_THAT(order, ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
}

// An immediate scheduled by an immediate has it as trigger and runs on the
// next turn, after the rest of the current batch; N's destroy comes before
// N+1's callback (test-immediate.js).
TEST_F(Immediate, ImmediateFromImmediateHasItAsTriggerAndRunsNextTurn) {
  async_id c = 0;
  const immediate a = set_immediate([&] {
    mark("a");
    c = set_immediate([&] { mark("c"); }).id();
  });
  const immediate b = set_immediate([&] { mark("b"); });
  loop().run();
  const async_id ia = a.id();
  const async_id ib = b.id();
  EXPECT_THAT(log(), ElementsAre(init("Immediate", ia, top()), init("Immediate", ib, top()),  //
                                 before(ia), "a", init("Immediate", c, ia), after(ia), destroy(ia),
                                 before(ib), "b", after(ib), destroy(ib),  //
                                 before(c), "c", after(c), destroy(c)));
}

TEST_F(Immediate, TickAndMicrotaskDrainRunsAfterEachImmediate) {
  const immediate i1 = set_immediate([&] {
    mark("i1");
    queue_microtask([&] { mark("micro"); });
    next_tick([&] { mark("tick"); });
  });
  const immediate i2 = set_immediate([&] { mark("i2"); });
  const async_id a = i1.id();
  const async_id b = i2.id();
  loop().run();
  const async_id m = last_id("Microtask");
  const async_id k = last_id("TickObject");
  EXPECT_THAT(log(), ElementsAre(init("Immediate", a, top()), init("Immediate", b, top()),  //
                                 before(a), "i1", init("Microtask", m, a), init("TickObject", k, a),
                                 after(a), destroy(a),                      //
                                 before(k), "tick", after(k), destroy(k),   //
                                 before(m), "micro", after(m), destroy(m),  //
                                 before(b), "i2", after(b), destroy(b)));
}

// Immediates queued by an immediate wait for the next turn, so a timer that
// came due meanwhile runs before them (as in Node).
TEST_F(Immediate, TimerDueMeanwhileRunsBeforeImmediatesOfTheNextTurn) {
  std::vector<std::string> order;
  set_immediate([&] {
    order.push_back("i1");
    set_timeout([&] { order.push_back("t1ms"); }, 1ms);
    const auto until = std::chrono::steady_clock::now() + 5ms;
    while (std::chrono::steady_clock::now() < until) {
    }
    set_immediate([&] { order.push_back("i3"); });
  });
  set_immediate([&] { order.push_back("i2"); });
  loop().run();
  EXPECT_THAT(order, ElementsAre("i1", "i2", "t1ms", "i3"));
}

TEST_F(Immediate, ImmediateScheduledInATimerHasTheTimerAsTrigger) {
  async_id imm = 0;
  const tether::timeout t = set_timeout([&] { imm = set_immediate([] {}).id(); }, 1ms);
  loop().run();
  ASSERT_NE(imm, 0u);
  EXPECT_THAT(rec().events_of_type("Immediate"),
              ElementsAre(init("Immediate", imm, t.id()), before(imm), after(imm), destroy(imm)));
}

TEST_F(Immediate, ClearImmediateBeforeItRunsDestroysWithoutBeforeOrAfter) {
  bool ran = false;
  immediate i = set_immediate([&] { ran = true; });
  const async_id id = i.id();
  clear_immediate(i);
  EXPECT_THAT(log(), ElementsAre(init("Immediate", id, top()), destroy(id)));
  EXPECT_EQ(loop().run(), 0);
  EXPECT_FALSE(ran);
  EXPECT_THAT(log(), ElementsAre(init("Immediate", id, top()), destroy(id)));
}

TEST_F(Immediate, ClearImmediateFromAnEarlierImmediateOfTheSameTurn) {
  immediate second;
  const immediate first = set_immediate([&] {
    mark("first");
    clear_immediate(second);
  });
  second = set_immediate([&] { mark("second ran"); });
  const immediate third = set_immediate([&] { mark("third"); });
  const async_id a = first.id();
  const async_id b = second.id();
  const async_id c = third.id();
  loop().run();
  EXPECT_THAT(log(), ElementsAre(init("Immediate", a, top()), init("Immediate", b, top()),
                                 init("Immediate", c, top()), before(a), "first", destroy(b),
                                 after(a), destroy(a), before(c), "third", after(c), destroy(c)));
}

// The turn ends at the last immediate queued before it began; clearing that
// one from an earlier callback must end the turn at the one before it, not
// run what was queued for the next turn (a timer due meanwhile runs first).
TEST_F(Immediate, ClearingTheLastOfTheTurnEndsTheTurnBeforeIt) {
  std::vector<std::string> order;
  immediate last;
  set_immediate([&] {
    order.push_back("i1");
    set_timeout([&] { order.push_back("t1ms"); }, 1ms);
    const auto until = std::chrono::steady_clock::now() + 5ms;
    while (std::chrono::steady_clock::now() < until) {
    }
    set_immediate([&] { order.push_back("next turn"); });
  });
  set_immediate([&] {
    order.push_back("i2");
    clear_immediate(last);
  });
  last = set_immediate([&] { order.push_back("cleared ran"); });
  loop().run();
  EXPECT_THAT(order, ElementsAre("i1", "i2", "t1ms", "next turn"));
}

// The callback is built in its node before anything is scheduled: a copy
// that throws leaves no resource, no node and nothing to run.
TEST_F(Immediate, ACallbackWhoseCopyThrowsSchedulesNothing) {
  struct throws_on_copy {
    throws_on_copy() = default;
    throws_on_copy(const throws_on_copy&) { throw std::runtime_error("copy"); }
    void operator()() const {}
  };
  const throws_on_copy f;
  EXPECT_THROW(set_immediate(f), std::runtime_error);
  EXPECT_TRUE(log().empty());
  bool ran = false;
  set_immediate([&] { ran = true; });  // the node went back to the pool intact
  EXPECT_EQ(loop().run(), 0);
  EXPECT_TRUE(ran);
}

// set_immediate takes a plain function and an existing unique_function too.
TEST_F(Immediate, FunctionsAndUniqueFunctionsAreCallbacks) {
  static int calls = 0;
  calls = 0;
  struct fn {
    static void bump() { ++calls; }
  };
  set_immediate(fn::bump);
  set_immediate(&fn::bump);
  set_immediate(tether::detail::unique_function<void()>([] { ++calls; }));
  loop().run();
  EXPECT_EQ(calls, 3);
}

TEST_F(Immediate, ClearImmediateOfTheNextTurnFromAnImmediate) {
  immediate later;
  const immediate first = set_immediate([&] {
    later = set_immediate([&] { mark("later ran"); });
    next_tick([&] { clear_immediate(later); });
  });
  loop().run();
  EXPECT_EQ(rec().invocations(later.id()), (invocation_counts{.init = 1, .destroy = 1}));
  EXPECT_THAT(log(), ::testing::Not(::testing::Contains("later ran")));
}

TEST_F(Immediate, ClearingTwiceEmptyOrRanHandleIsANoOp) {
  immediate empty;
  EXPECT_NO_THROW(clear_immediate(empty));
  EXPECT_EQ(empty.id(), 0u);
  EXPECT_FALSE(empty.has_ref());
  EXPECT_NO_THROW(empty.unref().ref());

  immediate cleared = set_immediate([] {});
  clear_immediate(cleared);
  EXPECT_NO_THROW(clear_immediate(cleared));

  immediate ran = set_immediate([] {});
  loop().run();
  EXPECT_NO_THROW(clear_immediate(ran));
  EXPECT_NO_THROW(ran.unref().ref());
  EXPECT_EQ(loop().run(), 0);

  EXPECT_EQ(rec().invocations(cleared.id()), (invocation_counts{.init = 1, .destroy = 1}));
  EXPECT_EQ(rec().invocations(ran.id()),
            (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));
}

// A handle may outlive its immediate's run and the loop itself: ref()/unref()
// then only flip has_ref(), and nothing reaches through to the loop (a call
// through the gone loop is caught by UBSan in the asan preset).
TEST_F(Immediate, HandleOutlivesItsRunAndTheLoop) {
  immediate ran = set_immediate([] {});
  loop().run();
  immediate never = set_immediate([] {});
  destroy_loop();  // `never` is dropped unrun: destroy, no before/after
  for (immediate* i : {&ran, &never}) {
    EXPECT_FALSE(i->unref().has_ref());
    EXPECT_TRUE(i->ref().has_ref());
    EXPECT_NO_THROW(clear_immediate(*i));
    EXPECT_NE(i->id(), 0u);
  }
  EXPECT_EQ(rec().invocations(ran.id()),
            (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));
  EXPECT_EQ(rec().invocations(never.id()), (invocation_counts{.init = 1, .destroy = 1}));
}

// unref() from inside its own callback: the immediate is no longer queued,
// so only the flag changes and the loop's ref count stays balanced.
TEST_F(Immediate, UnrefInsideOwnCallbackOnlyChangesTheFlag) {
  immediate i;
  bool flag_in_cb = true;
  i = set_immediate([&] { flag_in_cb = i.unref().has_ref(); });
  bool later_ran = false;
  set_timeout([&] { later_ran = true; }, 1ms);
  EXPECT_EQ(loop().run(), 0);
  EXPECT_FALSE(flag_in_cb);
  EXPECT_TRUE(later_ran);
}

TEST_F(Immediate, ClearImmediateInsideOwnCallbackIsHarmless) {
  immediate i;
  i = set_immediate([&] {
    clear_immediate(i);
    mark("cb");
  });
  const async_id id = i.id();
  loop().run();
  EXPECT_THAT(log(),
              ElementsAre(init("Immediate", id, top()), before(id), "cb", after(id), destroy(id)));
}

TEST_F(Immediate, DiscardingTheHandleDoesNotCancel) {
  bool ran = false;
  async_id id = 0;
  {
    const immediate i = set_immediate([&] { ran = true; });
    id = i.id();
  }
  loop().run();
  EXPECT_TRUE(ran);
  EXPECT_EQ(rec().invocations(id),
            (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));
}

TEST_F(Immediate, UnrefdImmediateDoesNotKeepRunAlive) {
  bool ran = false;
  immediate i = set_immediate([&] { ran = true; });
  EXPECT_TRUE(i.has_ref());
  EXPECT_FALSE(i.unref().has_ref());
  EXPECT_EQ(loop().run(), 0);
  EXPECT_FALSE(ran);
  EXPECT_THAT(log(), ElementsAre(init("Immediate", i.id(), top())));
  EXPECT_TRUE(i.ref().has_ref());
  EXPECT_EQ(loop().run(), 0);
  EXPECT_TRUE(ran);
  EXPECT_EQ(rec().invocations(i.id()),
            (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));
}

TEST_F(Immediate, UnrefdImmediateRunsWhileOtherWorkKeepsTheLoopAlive) {
  std::vector<std::string> order;
  set_immediate([&] { order.push_back("unrefd"); }).unref();
  set_timeout([&] { order.push_back("timer"); }, 10ms);
  loop().run();
  EXPECT_THAT(order, ::testing::UnorderedElementsAre("unrefd", "timer"));
}

TEST_F(Immediate, StoreSetAroundSchedulingIsSeenInTheCallbackOnly) {
  tether::async_local_storage<int> als;
  std::vector<int> seen;
  const auto see = [&] {
    const int* s = als.get_store();
    seen.push_back(s != nullptr ? *s : -1);
  };
  als.run(3, [&] { set_immediate(see); });
  set_immediate(see);
  EXPECT_EQ(als.get_store(), nullptr);
  loop().run();
  EXPECT_THAT(seen, ElementsAre(3, -1));
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST_F(Immediate, EnterWithInsideAnImmediateDoesNotLeakIntoTheNextOne) {
  tether::async_local_storage<int> als;
  std::vector<int> seen;
  const auto see = [&] {
    const int* s = als.get_store();
    seen.push_back(s != nullptr ? *s : -1);
  };
  set_immediate([&] {
    als.enter_with(9);
    see();
    set_immediate(see);  // created after enter_with: captures it
  });
  set_immediate(see);
  loop().run();
  EXPECT_THAT(seen, ElementsAre(9, -1, 9));
}

// 100000 immediates, each scheduling the next (one per loop turn), each
// triggered by the previous; every init has its destroy.
TEST_F(Immediate, HundredThousandChainedImmediates) {
  rec().disable();
  tether::test::expect_balanced_chain(loop(), top(), 100'000,
                                      [](auto&& f) { set_immediate(std::forward<decltype(f)>(f)); });
}

}  // namespace
