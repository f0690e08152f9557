// event_loop: one per thread, run() until no work is left, exceptions that
// escape callbacks (rethrown from run(), or given to on_uncaught_exception as
// Node's process.on('uncaughtException')), teardown with pending work, and a
// hook that throws inside the loop. Node: parallel/test-async-wrap-uncaughtexception.js,
// parallel/test-emit-after-uncaught-exception.js, async-hooks/test-callback-error.js.
#include <tether/event_loop.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/error.hpp>
#include <tether/fs.hpp>
#include <tether/timers.hpp>
#include <tether/work.hpp>

#include "runtime/held_back.hpp"
#include "runtime/loop_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using tether::async_id;
using tether::event_loop;
using tether::execution_async_id;
using tether::immediate;
using tether::next_tick;
using tether::queue_microtask;
using tether::set_immediate;
using tether::set_interval;
using tether::set_timeout;
using tether::timeout;
using tether::trigger_async_id;
using tether::usage_error;
using tether::test::invocation_counts;
using tether::test::run_error;
using tether::test::test_error;

class EventLoop : public tether::test::loop_fixture {
 protected:
  /// held_back.hpp's, marking into this test's log.
  void throw_when_completion_is_ready(std::function<void()> release) {
    tether::test::throw_when_completion_is_ready([this](std::string m) { mark(std::move(m)); },
                                                 std::move(release));
  }
};

// --- one loop per thread -----------------------------------------------------

TEST_F(EventLoop, IsTheThreadsCurrentLoop) {
  EXPECT_EQ(&event_loop::current(), &loop());
  EXPECT_NE(loop().native_handle(), nullptr);
  EXPECT_EQ(loop().native_handle(), event_loop::current().native_handle());
}

TEST_F(EventLoop, SecondLoopOnTheSameThreadThrows) {
  try {
    event_loop second;
    ADD_FAILURE() << "a second event_loop on one thread was constructed";
  } catch (const usage_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("already exists on this thread"));
  }
  // The first one is unaffected.
  EXPECT_EQ(&event_loop::current(), &loop());
  bool ran = false;
  set_timeout([&] { ran = true; });
  loop().run();
  EXPECT_TRUE(ran);
}

TEST(EventLoopWithout, CurrentThrowsUsageError) {
  try {
    event_loop::current();
    ADD_FAILURE() << "event_loop::current() returned without a loop";
  } catch (const usage_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("no event_loop on this thread"));
  }
}

TEST(EventLoopWithout, SchedulingThrowsUsageErrorAndCreatesNoResource) {
  tether::test::hook_recorder rec;
  rec.enable();
  bool ran = false;
  EXPECT_THROW(set_timeout([&] { ran = true; }), usage_error);
  EXPECT_THROW(set_interval([&] { ran = true; }, 1ms), usage_error);
  EXPECT_THROW(set_immediate([&] { ran = true; }), usage_error);
  EXPECT_THROW(next_tick([&] { ran = true; }), usage_error);
  EXPECT_THROW(queue_microtask([&] { ran = true; }), usage_error);
  try {
    next_tick([] {});
  } catch (const usage_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("construct a tether::event_loop"));
  }
  EXPECT_FALSE(ran);
  EXPECT_EQ(rec.size(), 0u);
}

TEST(EventLoopWithout, ANewLoopCanFollowADestroyedOne) {
  for (int i = 0; i < 3; ++i) {
    event_loop loop;
    int ran = 0;
    set_timeout([&] { ++ran; });
    next_tick([&] { ++ran; });
    loop.run();
    EXPECT_EQ(ran, 2);
  }
  EXPECT_THROW(event_loop::current(), usage_error);
}

// --- run() -------------------------------------------------------------------

TEST_F(EventLoop, RunWithNothingToDoReturnsZeroAtOnce) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(loop().run(), 0);
  EXPECT_EQ(loop().run(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);  // nothing to wait for
  EXPECT_TRUE(log().empty());
}

// run() returns only when the whole chain timer -> immediate -> tick ->
// microtask -> timer -> interval is done.
TEST_F(EventLoop, RunReturnsOnlyWhenTheWholeChainIsDone) {
  timeout iv;
  set_timeout(
      [&] {
        mark("timeout");
        set_immediate([&] {
          mark("immediate");
          next_tick([&] {
            mark("tick");
            queue_microtask([&] {
              mark("microtask");
              set_timeout(
                  [&] {
                    mark("timeout2");
                    iv = set_interval(
                        [&] {
                          mark("interval");
                          if (rec().invocations(iv.id()).before == 3) {
                            tether::clear_interval(iv);
                          }
                        },
                        1ms);
                  },
                  2ms);
            });
          });
        });
      },
      1ms);
  EXPECT_EQ(loop().run(), 0);
  EXPECT_THAT(markers(), ElementsAre("timeout", "immediate", "tick", "microtask", "timeout2",
                                     "interval", "interval", "interval"));
  EXPECT_EQ(loop().run(), 0);
}

TEST_F(EventLoop, RunFromInsideACallbackThrowsUsageError) {
  std::vector<std::string> messages;
  const auto nested_run = [&] {
    try {
      event_loop::current().run();
      messages.push_back("returned");
    } catch (const usage_error& e) {
      messages.push_back(e.what());
    }
  };
  set_timeout(nested_run);
  set_immediate(nested_run);
  next_tick(nested_run);
  queue_microtask(nested_run);
  EXPECT_EQ(loop().run(), 0);
  ASSERT_EQ(messages.size(), 4u);
  for (const std::string& m : messages) {
    EXPECT_THAT(m, HasSubstr("from inside a callback")) << m;
  }
}

TEST_F(EventLoop, RunFromInsideACallbackUncaughtIsRethrownByRun) {
  bool later = false;
  set_timeout([&] {
    next_tick([&] { later = true; });
    event_loop::current().run();
  });
  EXPECT_THROW(loop().run(), usage_error);
  EXPECT_FALSE(later);
  EXPECT_EQ(loop().run(), 0);
  EXPECT_TRUE(later);
}

// --- a callback throws, no handler: run() rethrows, the rest waits -----------

// A tick queued before run() throws (the drain at the start of run()).
TEST_F(EventLoop, ThrowInTopLevelTickRethrowsAndSecondRunCompletes) {
  next_tick([&] {
    mark("t1");
    throw test_error(1);
  });
  next_tick([&] { mark("t2"); });
  queue_microtask([&] { mark("m1"); });
  set_immediate([&] { mark("immediate"); });
  set_timeout([&] { mark("timeout"); }, 1ms);

  EXPECT_EQ(run_error(loop()), 1);
  EXPECT_THAT(markers(), ElementsAre("t1"));
  const async_id t1 = rec().ids().at(0);
  EXPECT_EQ(rec().invocations(t1),
            (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));

  EXPECT_EQ(run_error(loop()), -1);
  const auto m = markers();
  ASSERT_EQ(m.size(), 5u) << ::testing::PrintToString(m);
  EXPECT_THAT(std::vector<std::string>(m.begin(), m.begin() + 3), ElementsAre("t1", "t2", "m1"));
  EXPECT_THAT(std::vector<std::string>(m.begin() + 3, m.end()),
              UnorderedElementsAre("immediate", "timeout"));
}

TEST_F(EventLoop, ThrowInTopLevelMicrotaskRethrowsAndSecondRunCompletes) {
  queue_microtask([&] {
    mark("m1");
    throw test_error(2);
  });
  queue_microtask([&] { mark("m2"); });
  set_timeout([&] { mark("timeout"); }, 1ms);
  EXPECT_EQ(run_error(loop()), 2);
  EXPECT_THAT(markers(), ElementsAre("m1"));
  EXPECT_EQ(run_error(loop()), -1);
  EXPECT_THAT(markers(), ElementsAre("m1", "m2", "timeout"));
}

// A timer throws: nothing else runs before run() rethrows (not the tick it
// queued, not the next timer of its list, not another list that is due by
// then, not the immediate it queued); a second run() carries on in order.
TEST_F(EventLoop, ThrowInTimerStopsAtOnceAndSecondRunCompletes) {
  set_timeout(
      [&] {
        mark("t1");
        next_tick([&] { mark("tick"); });
        set_immediate([&] { mark("immediate"); });
        const auto until = std::chrono::steady_clock::now() + 5ms;
        while (std::chrono::steady_clock::now() < until) {
        }  // so that t3's list is due too
        throw test_error(3);
      },
      2ms);
  set_timeout([&] { mark("t2"); }, 2ms);
  set_timeout([&] { mark("t3"); }, 3ms);

  EXPECT_EQ(run_error(loop()), 3);
  EXPECT_THAT(markers(), ElementsAre("t1"));
  const async_id t1 = rec().ids().at(0);
  EXPECT_EQ(rec().invocations(t1),
            (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));

  EXPECT_EQ(run_error(loop()), -1);
  EXPECT_THAT(markers(), ElementsAre("t1", "tick", "t2", "t3", "immediate"));
}

TEST_F(EventLoop, ThrowInImmediateStopsAtOnceAndSecondRunCompletes) {
  set_immediate([&] {
    mark("i1");
    next_tick([&] { mark("tick"); });
    throw test_error(4);
  });
  set_immediate([&] { mark("i2"); });
  set_immediate([&] { mark("i3"); });

  EXPECT_EQ(run_error(loop()), 4);
  EXPECT_THAT(markers(), ElementsAre("i1"));
  EXPECT_EQ(run_error(loop()), -1);
  EXPECT_THAT(markers(), ElementsAre("i1", "tick", "i2", "i3"));
}

TEST_F(EventLoop, ThrowInTickAfterATimerStopsAtOnceAndSecondRunCompletes) {
  set_timeout(
      [&] {
        mark("t1");
        next_tick([&] {
          mark("tick1");
          throw test_error(5);
        });
        next_tick([&] { mark("tick2"); });
        queue_microtask([&] { mark("micro"); });
      },
      2ms);
  set_timeout([&] { mark("t2"); }, 2ms);

  EXPECT_EQ(run_error(loop()), 5);
  EXPECT_THAT(markers(), ElementsAre("t1", "tick1"));
  EXPECT_EQ(run_error(loop()), -1);
  EXPECT_THAT(markers(), ElementsAre("t1", "tick1", "tick2", "micro", "t2"));
}

// Every callback that throws is reported, one per run().
TEST_F(EventLoop, SeveralThrowingCallbacksAreRethrownOneRunAtATime) {
  set_immediate([] { throw test_error(10); });
  set_immediate([] { throw test_error(11); });
  next_tick([] { throw test_error(12); });
  EXPECT_EQ(run_error(loop()), 12);
  EXPECT_EQ(run_error(loop()), 10);
  EXPECT_EQ(run_error(loop()), 11);
  EXPECT_EQ(run_error(loop()), -1);
}

// Destroying the loop after run() threw and with work left is clean.
TEST_F(EventLoop, DestroyAfterRunThrewIsClean) {
  next_tick([] { throw test_error(6); });
  next_tick([] {});
  set_timeout([] {}, 1ms);
  set_immediate([] {});
  EXPECT_EQ(run_error(loop()), 6);
  destroy_loop();
  // The fixture checks the destructor printed nothing; every init has a destroy.
  rec().sanity_check({.complete = true});
}

TEST_F(EventLoop, DestroyAfterTimerThrewIsClean) {
  set_timeout([] { throw test_error(7); }, 1ms);
  set_timeout([] {}, 1ms);
  set_immediate([] {});
  EXPECT_EQ(run_error(loop()), 7);
  destroy_loop();
  rec().sanity_check({.complete = true});
}

// --- completions racing an uncaught exception ---------------------------------
// uv_stop() ends libuv's loop only once the current turn is over, so libuv
// still delivers that turn's I/O completions after a callback threw. Their
// user callbacks are held back: they run on the next run(), in its first
// turn's prepare phase (after the ticks left over and the timers, before
// the poll and check phases), or never if the loop is destroyed first (their
// resources still get destroy).

/// A pipe whose read end an fs::read blocks on (in a pool thread) until
/// release() writes one byte, or until the test ends (closing the write end
/// ends the read).
struct blocking_pipe {
  blocking_pipe() { EXPECT_EQ(::pipe(fds), 0); }
  ~blocking_pipe() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  void release() const { EXPECT_EQ(::write(fds[1], "x", 1), 1); }
  int fds[2] = {-1, -1};
};

TEST_F(EventLoop, FsCompletionAfterAnUncaughtExceptionRunsOnTheNextRun) {
  const blocking_pipe pipe;
  std::string got;
  tether::fs::read(pipe.fds[0], 16, -1, [&](std::error_code ec, std::string data) {
    mark("read");
    EXPECT_FALSE(ec);
    got = std::move(data);
  });
  const async_id read = last_id("FSREQCALLBACK");
  throw_when_completion_is_ready([&] { pipe.release(); });

  EXPECT_EQ(run_error(loop()), 8);
  EXPECT_THAT(markers(), ElementsAre());  // held back: not run, not destroyed
  EXPECT_EQ(rec().invocations(read), (invocation_counts{.init = 1}));

  EXPECT_EQ(run_error(loop()), -1);
  EXPECT_THAT(markers(), ElementsAre("tick", "read", "immediate"));
  EXPECT_EQ(got, "x");
  EXPECT_EQ(rec().invocations(read),
            (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));
}

TEST_F(EventLoop, CompletionsHeldBackAreDroppedWhenTheLoopIsDestroyed) {
  const blocking_pipe pipe;
  bool read_ran = false;
  tether::fs::read(pipe.fds[0], 16, -1, [&](std::error_code, std::string) { read_ran = true; });
  const async_id read = last_id("FSREQCALLBACK");
  throw_when_completion_is_ready([&] { pipe.release(); });

  EXPECT_EQ(run_error(loop()), 8);
  destroy_loop();  // the held-back completion frees its request: ASan sees no leak
  EXPECT_FALSE(read_ran);
  EXPECT_EQ(rec().invocations(read), (invocation_counts{.init = 1, .destroy = 1}));
}

/// A gate a pool job waits at until release(), or until the test ends (so
/// that a failing test cannot leave the loop's teardown waiting for the job).
struct gate {
  ~gate() { release(); }
  void release() {
    open = true;
    open.notify_all();
  }
  void wait() const { open.wait(false); }
  std::atomic<bool> open{false};
};

TEST_F(EventLoop, WorkCompletionAfterAnUncaughtExceptionRunsOnTheNextRun) {
  gate go;
  int value = 0;
  tether::queue_work(
      [&go] {
        go.wait();
        return 5;
      },
      [&](std::exception_ptr e, int v) {
        mark("work");
        EXPECT_EQ(e, nullptr);
        value = v;
      });
  const async_id work = last_id("QUEUEWORK");
  throw_when_completion_is_ready([&] { go.release(); });

  EXPECT_EQ(run_error(loop()), 8);
  EXPECT_THAT(markers(), ElementsAre());
  // before/after on the pool thread only; the completion is held back.
  EXPECT_EQ(rec().invocations(work), (invocation_counts{.init = 1, .before = 1, .after = 1}));

  EXPECT_EQ(run_error(loop()), -1);
  EXPECT_THAT(markers(), ElementsAre("tick", "work", "immediate"));
  EXPECT_EQ(value, 5);
  EXPECT_EQ(rec().invocations(work),
            (invocation_counts{.init = 1, .before = 2, .after = 2, .destroy = 1}));
}

// A held-back completion that throws in its turn stops the loop again; the
// next one waits for the run() after that.
TEST_F(EventLoop, HeldBackCompletionsRunOneUncaughtExceptionAtATime) {
  const blocking_pipe first;
  const blocking_pipe second;
  tether::fs::read(first.fds[0], 16, -1, [&](std::error_code, std::string) {
    mark("first");
    throw test_error(9);
  });
  tether::fs::read(second.fds[0], 16, -1, [&](std::error_code, std::string) { mark("second"); });
  throw_when_completion_is_ready([&] {
    first.release();
    second.release();
  });

  EXPECT_EQ(run_error(loop()), 8);
  EXPECT_EQ(run_error(loop()), 9);
  EXPECT_EQ(run_error(loop()), -1);
  const std::vector<std::string> m = markers();
  ASSERT_EQ(m.size(), 4u) << ::testing::PrintToString(m);
  EXPECT_EQ(m[0], "tick");
  EXPECT_THAT(std::vector<std::string>(m.begin() + 1, m.end()),
              UnorderedElementsAre("first", "second", "immediate"));
}

// --- on_uncaught_exception ---------------------------------------------------

// The handler runs inside the throwing callback's resource, before its
// `after`; the loop carries on (test-async-wrap-uncaughtexception.js).
TEST_F(EventLoop, UncaughtHandlerRunsInsideTheThrowingResource) {
  loop().on_uncaught_exception([this](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const test_error& err) {
      mark("handler " + std::to_string(err.value) + " in " + std::to_string(execution_async_id()) +
           " trigger " + std::to_string(trigger_async_id()));
    }
  });
  const timeout t1 = set_timeout([] { throw test_error(1); }, 1ms);
  const timeout t2 = set_timeout([&] { mark("t2"); }, 1ms);
  const async_id a = t1.id();
  const async_id b = t2.id();
  EXPECT_EQ(loop().run(), 0);
  EXPECT_THAT(log(),
              ElementsAre(init("Timeout", a, top()), init("Timeout", b, top()),  //
                          before(a),
                          "handler 1 in " + std::to_string(a) + " trigger " + std::to_string(top()),
                          after(a), destroy(a),  //
                          before(b), "t2", after(b), destroy(b)));
}

TEST_F(EventLoop, UncaughtHandlerSeesEveryKindOfCallback) {
  std::vector<async_id> handler_ids;
  loop().on_uncaught_exception(
      [&](std::exception_ptr) { handler_ids.push_back(execution_async_id()); });
  const timeout t = set_timeout([] { throw test_error(1); }, 1ms);
  const immediate i = set_immediate([] { throw test_error(2); });
  next_tick([] { throw test_error(3); });
  const async_id tick = last_id("TickObject");
  queue_microtask([] { throw test_error(4); });
  const async_id micro = last_id("Microtask");
  EXPECT_EQ(loop().run(), 0);
  ASSERT_EQ(handler_ids.size(), 4u);
  EXPECT_EQ(handler_ids[0], tick);
  EXPECT_EQ(handler_ids[1], micro);
  EXPECT_THAT(std::vector<async_id>(handler_ids.begin() + 2, handler_ids.end()),
              UnorderedElementsAre(t.id(), i.id()));
  for (const async_id id : {t.id(), i.id(), tick, micro}) {
    EXPECT_EQ(rec().invocations(id),
              (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}))
        << "id " << id;
  }
}

// setInterval whose run throws, with a handler: that run's `after` comes,
// the interval keeps running (test-timers.setInterval.js: before 2, after 2,
// destroy 1).
TEST_F(EventLoop, ThrowingIntervalWithHandlerKeepsRunning) {
  int handled = 0;
  loop().on_uncaught_exception([&](std::exception_ptr) { ++handled; });
  int runs = 0;
  timeout iv;
  iv = set_interval(
      [&] {
        if (++runs == 2) {
          tether::clear_interval(iv);
        }
        throw test_error(runs);
      },
      1ms);
  EXPECT_EQ(loop().run(), 0);
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(handled, 2);
  EXPECT_EQ(rec().invocations(iv.id()),
            (invocation_counts{.init = 1, .before = 2, .after = 2, .destroy = 1}));
}

TEST_F(EventLoop, ThrowingHandlerMakesRunRethrowItsException) {
  loop().on_uncaught_exception([](std::exception_ptr) { throw test_error(99); });
  set_timeout(
      [&] {
        mark("t1");
        throw test_error(1);
      },
      1ms);
  set_timeout([&] { mark("t2"); }, 1ms);
  EXPECT_EQ(run_error(loop()), 99);
  EXPECT_THAT(markers(), ElementsAre("t1"));
  EXPECT_EQ(run_error(loop()), -1);
  EXPECT_THAT(markers(), ElementsAre("t1", "t2"));
}

TEST_F(EventLoop, EmptyHandlerRestoresTheDefault) {
  int handled = 0;
  loop().on_uncaught_exception([&](std::exception_ptr) { ++handled; });
  next_tick([] { throw test_error(1); });
  EXPECT_EQ(run_error(loop()), -1);
  EXPECT_EQ(handled, 1);
  loop().on_uncaught_exception({});
  next_tick([] { throw test_error(2); });
  EXPECT_EQ(run_error(loop()), 2);
  EXPECT_EQ(handled, 1);
}

// --- teardown ----------------------------------------------------------------

// Work that never ran is dropped with the loop: its captures are freed (ASan
// would see a leak), every init gets its destroy and nothing runs.
TEST_F(EventLoop, DestroyingTheLoopWithPendingWorkDropsItCleanly) {
  const auto payload = std::make_shared<int>(5);
  const std::weak_ptr<int> watch = payload;
  bool ran = false;
  const auto keep = [&ran, payload] { ran = *payload == 0; };
  next_tick(keep);
  queue_microtask(keep);
  set_timeout(keep, 1ms);
  set_timeout(keep, 10s);
  set_interval(keep, 1ms);
  set_timeout(keep, 1ms).unref();
  set_immediate(keep);
  set_immediate(keep).unref();
  timeout held_timeout = set_timeout(keep, 1ms);
  immediate held_immediate = set_immediate(keep);
  // A large capture (heap-allocated inside the callback wrapper).
  set_timeout([payload, big = std::vector<int>(1000, 1)] { (void)big; }, 1ms);
  const std::vector<async_id> ids = rec().ids();
  ASSERT_EQ(ids.size(), 11u);

  destroy_loop();
  EXPECT_FALSE(ran);
  for (const async_id id : ids) {
    EXPECT_EQ(rec().invocations(id), (invocation_counts{.init = 1, .destroy = 1})) << "id " << id;
  }
  EXPECT_EQ(payload.use_count(), 2);  // `payload` and `keep`: the loop let go of its copies
  (void)watch;
}

// Handles that outlive the loop are inert: clearing, refreshing and
// destroying them afterwards is safe (ASan checks the memory side).
TEST_F(EventLoop, TimeoutHandlesOutlivingTheLoopCanBeClearedAndDestroyed) {
  timeout pending = set_timeout([] {}, 1h);
  timeout fired = set_timeout([] {}, 1ms);
  timeout cleared = set_timeout([] {}, 1ms);
  immediate pending_immediate = set_immediate([] {});
  immediate ran_immediate = set_immediate([] {});
  clear_timeout(cleared);
  pending.unref();  // so that run() does not wait an hour
  loop().run();
  const async_id pending_id = pending.id();
  pending_immediate = set_immediate([] {});  // queued again, never run
  const async_id pending_immediate_id = pending_immediate.id();

  destroy_loop();
  EXPECT_EQ(rec().invocations(pending_id), (invocation_counts{.init = 1, .destroy = 1}));
  EXPECT_EQ(rec().invocations(pending_immediate_id), (invocation_counts{.init = 1, .destroy = 1}));

  for (timeout* t : {&pending, &fired, &cleared}) {
    EXPECT_NE(t->id(), 0u);
    EXPECT_NO_THROW(tether::clear_timeout(*t));
    EXPECT_NO_THROW(tether::clear_interval(*t));
    EXPECT_NO_THROW(t->refresh().unref().ref());
  }
  for (immediate* i : {&pending_immediate, &ran_immediate}) {
    EXPECT_NE(i->id(), 0u);
    EXPECT_NO_THROW(tether::clear_immediate(*i));
    EXPECT_NO_THROW(i->unref().ref());
  }
  timeout copy = pending;
  pending = timeout{};
  copy = timeout{};
  EXPECT_EQ(rec().invocations(pending_id).destroy, 1);
}

// --- a hook that throws inside the loop is fatal ------------------------------

class EventLoopDeathTest : public tether::test::loop_fixture {};

TEST_F(EventLoopDeathTest, HookThrowingInsideTheLoopIsFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        tether::async_hook h = tether::create_hook(
            {.before = [](async_id) { throw std::runtime_error("hook boom"); }});
        h.enable();
        set_timeout([] {}, 1ms);
        loop().run();
      },
      "^tether: fatal: exception in async hook 'before' \\(resource type \"Timeout\", id "
      "[0-9]+\\): hook boom\n$");
}

TEST_F(EventLoopDeathTest, InitHookThrowingForATickIsFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        tether::async_hook h = tether::create_hook(
            {.init = [](async_id, std::string_view, async_id, tether::resource&) {
              throw std::runtime_error("init boom");
            }});
        h.enable();
        next_tick([] {});
      },
      "tether: fatal: exception in async hook 'init' \\(resource type \"TickObject\", id "
      "[0-9]+\\): init boom");
}

}  // namespace
