// worker + message ports across threads (Node: test-worker-*.js,
// test-worker-message-port-*.js, async-hooks/test-async-exec-resource-*):
// the WORKER resource and its callbacks (online, error with what(), exit
// codes), terminate() while busy in the loop and while stuck in user code,
// 1,000,000 messages each way in order with backpressure, ports closed from
// either side, a slow receiver, the exact hook events of a worker and its
// ports with their threads and triggers, each thread's own top level, the
// worker object or the parent's loop going away first. Runs under TSan.
#include <tether/worker.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>
#include <tether/error.hpp>
#include <tether/timers.hpp>

#include "runtime/loop_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using tether::async_id;
using tether::execution_async_id;
using tether::message_channel;
using tether::message_port;
using tether::trigger_async_id;
using tether::worker;
using tether::test::event_kind;

constexpr std::string_view worker_type = "WORKER";
constexpr std::string_view port_type = "MESSAGEPORT";

std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "?";
  }
}

class Worker : public tether::test::loop_fixture {};

TEST_F(Worker, RunsOnItsOwnThreadWithItsOwnLoopAndTopLevel) {
  const std::thread::id parent_thread = std::this_thread::get_id();
  std::thread::id worker_thread;
  async_id worker_top = 0;
  async_id worker_top_trigger = 99;
  std::uint64_t inner_thread_id = 0;
  bool inner_is_worker = false;
  async_id timer_trigger = 0;
  worker w([&] {
    worker_thread = std::this_thread::get_id();
    worker_top = execution_async_id();
    worker_top_trigger = trigger_async_id();
    inner_thread_id = tether::this_worker::thread_id();
    inner_is_worker = tether::this_worker::is_worker_thread();
    tether::set_timeout([&] { timer_trigger = trigger_async_id(); }, 1ms);
  });
  const async_id id = last_id(worker_type);
  w.on_online([&] { mark("online"); });
  w.on_exit([&](int code) { mark("exit" + std::to_string(code)); });
  EXPECT_EQ(loop().run(), 0);
  EXPECT_NE(worker_thread, parent_thread);
  EXPECT_NE(worker_top, top()) << "the worker's top level has its own id";
  EXPECT_EQ(worker_top_trigger, 0u);
  EXPECT_EQ(timer_trigger, worker_top) << "its timer was created at its top level";
  EXPECT_TRUE(inner_is_worker);
  EXPECT_FALSE(tether::this_worker::is_worker_thread());
  EXPECT_EQ(tether::this_worker::thread_id(), 0u);
  EXPECT_EQ(inner_thread_id, w.thread_id());
  EXPECT_GE(w.thread_id(), 1u);
  EXPECT_EQ(w.exit_code(), 0);
  // The parent's view: one WORKER resource, callbacks in its scope.
  EXPECT_THAT(rec().events_of_type(worker_type),
              ElementsAre(init(worker_type, id, top()), before(id), after(id), before(id),
                          after(id), destroy(id)));
  for (const auto& r : rec().records()) {
    if (r.id == id) {
      EXPECT_EQ(r.thread, parent_thread);
    }
  }
  EXPECT_THAT(markers(), ElementsAre("online", "exit0"));
  // The worker's timer: created and run on the worker's thread.
  for (const auto& r : rec().records()) {
    if (r.type == "Timeout") {
      EXPECT_EQ(r.thread, worker_thread);
    }
  }
}

TEST_F(Worker, ThreadIdsIncreaseAndIdsAreProcessUnique) {
  std::vector<async_id> worker_ids(2);
  std::optional<worker> a(std::in_place, [&] { worker_ids[0] = tether::async_resource("X").id(); });
  std::optional<worker> b(std::in_place, [&] { worker_ids[1] = tether::async_resource("X").id(); });
  EXPECT_LT(a->thread_id(), b->thread_id());
  loop().run();
  const tether::async_resource here("X");
  EXPECT_NE(worker_ids[0], worker_ids[1]);
  EXPECT_NE(worker_ids[0], here.id());
  EXPECT_NE(worker_ids[1], here.id());
}

TEST_F(Worker, ExitCodeFromTheFunctionOrFromThisWorkerExit) {
  std::vector<int> codes;
  worker a([] { return 3; });
  a.on_exit([&](int c) { codes.push_back(c); });
  loop().run();
  worker b([] {
    // Node: process.exit(7) in a worker; the rest of the loop never runs.
    tether::set_timeout([] { tether::this_worker::exit(7); }, 1ms);
    tether::set_timeout([] { ADD_FAILURE() << "ran after exit()"; }, 200ms);
  });
  b.on_exit([&](int c) { codes.push_back(c); });
  loop().run();
  EXPECT_THAT(codes, ElementsAre(3, 7));
  EXPECT_THROW(tether::this_worker::exit(1), tether::usage_error);
}

TEST_F(Worker, AnExceptionReachesTheParentWithItsWhatThenExitCode1) {
  std::vector<std::string> events;
  worker a([]() -> int { throw std::runtime_error("boom in fn"); });
  a.on_error([&](std::exception_ptr e) { events.push_back("error: " + what_of(e)); });
  a.on_exit([&](int c) { events.push_back("exit " + std::to_string(c)); });
  worker b([] {
    tether::set_timeout([] { throw std::invalid_argument("boom in a timer"); }, 1ms);
  });
  const async_id b_id = last_id(worker_type);
  async_id error_scope = 0;
  b.on_error([&](std::exception_ptr e) {
    error_scope = execution_async_id();
    events.push_back("error: " + what_of(e));
    try {
      std::rethrow_exception(e);
    } catch (const std::invalid_argument&) {
      events.push_back("(its own type)");
    }
  });
  b.on_exit([&](int c) { events.push_back("exit " + std::to_string(c)); });
  loop().run();
  EXPECT_THAT(events, ::testing::UnorderedElementsAre("error: boom in fn", "exit 1",
                                                      "error: boom in a timer", "(its own type)",
                                                      "exit 1"));
  EXPECT_EQ(error_scope, b_id);
}

TEST_F(Worker, TerminateStopsAWorkerBusyInItsLoopAtItsNextTurn) {
  std::atomic<long> turns{0};
  // An endless chain of immediates on the worker: one loop turn each (the
  // function outlives the worker's loop: it lives here).
  std::function<void()> spin = [&] {
    turns.fetch_add(1);
    tether::set_immediate([&] { spin(); });
  };
  worker w([&] { spin(); });
  std::optional<int> resolved;
  std::vector<std::string> order;
  w.on_exit([&](int c) { order.push_back("exit " + std::to_string(c)); });
  tether::set_timeout(
      [&] {
        EXPECT_GT(turns.load(), 0);
        w.terminate().then([&](int c) {
          resolved = c;
          order.push_back("terminate resolved");
        });
      },
      20ms);
  loop().run();
  EXPECT_EQ(resolved, 1);
  EXPECT_THAT(order, ElementsAre("exit 1", "terminate resolved"));
  EXPECT_EQ(w.exit_code(), 1);
  // Terminating an exited worker resolves at once with its code.
  std::optional<int> again;
  w.terminate().then([&](int c) { again = c; });
  loop().run();
  EXPECT_EQ(again, 1);
}

TEST_F(Worker, AWorkerStuckInUserCodeEndsWhenItChecksStopRequested) {
  std::atomic<bool> spinning{false};
  worker w([&] {
    spinning = true;
    // Never returns to the loop: terminate() cannot preempt it; the
    // documented way out is to poll stop_requested() (or its stop_token).
    while (!tether::this_worker::stop_requested()) {
      std::this_thread::sleep_for(1ms);
    }
    EXPECT_TRUE(tether::this_worker::stop_token().stop_requested());
  });
  int code = -1;
  w.on_exit([&](int c) { code = c; });
  tether::set_timeout(
      [&] {
        EXPECT_TRUE(spinning.load());
        (void)w.terminate();
      },
      10ms);
  loop().run();
  EXPECT_EQ(code, 1);
}

TEST_F(Worker, AnUnrefdWorkerDoesNotKeepTheParentAlive) {
  std::atomic<bool> release{false};
  worker w([&] {
    while (!release.load() && !tether::this_worker::stop_requested()) {
      std::this_thread::sleep_for(1ms);
    }
  });
  EXPECT_TRUE(w.has_ref());
  w.unref();
  EXPECT_FALSE(w.has_ref());
  EXPECT_EQ(loop().run(), 0);  // does not wait for the worker
  release = true;
  w.ref();
  int code = -1;
  w.on_exit([&](int c) { code = c; });
  loop().run();
  EXPECT_EQ(code, 0);
}

TEST_F(Worker, DestroyingTheWorkerObjectTerminatesJoinsAndDropsItsCallbacks) {
  std::atomic<bool> started{false};
  std::function<void()> spin = [&] { tether::set_immediate([&] { spin(); }); };
  std::optional<worker> w(std::in_place, [&] {
    started = true;
    spin();
  });
  const async_id id = last_id(worker_type);
  w->on_exit([](int) { ADD_FAILURE() << "callbacks of a destroyed worker do not run"; });
  while (!started.load()) {
    std::this_thread::sleep_for(1ms);
  }
  w.reset();  // terminates and joins
  EXPECT_THAT(rec().events_of_type(worker_type),
              ElementsAre(init(worker_type, id, top()), destroy(id)));
  EXPECT_EQ(loop().run(), 0);
}

TEST_F(Worker, TheParentsLoopEndingFirstDestroysTheWorkerResource) {
  std::atomic<bool> release{false};
  std::optional<worker> w(std::in_place, [&] {
    while (!release.load()) {
      std::this_thread::sleep_for(1ms);
    }
  });
  const async_id id = last_id(worker_type);
  destroy_loop();
  EXPECT_THAT(rec().events_of_type(worker_type),
              ElementsAre(init(worker_type, id, top()), destroy(id)));
  release = true;
  w.reset();  // joins; nothing runs
}

TEST_F(Worker, ConstructingOneOnAThreadWithoutALoopThrows) {
  std::string error;
  std::thread([&] {
    try {
      worker w([] {});
    } catch (const tether::usage_error& e) {
      error = e.what();
    }
  }).join();
  EXPECT_THAT(error, ::testing::HasSubstr("no event_loop"));
}

// Node's worker_threads example: the parent posts, the worker answers on the
// same channel, the parent closes, the worker's loop runs out of work.
TEST_F(Worker, PingPongOverAChannelThenCloseEndsTheWorker) {
  message_channel<int> ch;
  const async_id p1 = last_id(port_type) - 1;
  const async_id p2 = last_id(port_type);
  std::thread::id worker_thread;
  worker w(
      [&](message_port<int>& port) {
        worker_thread = std::this_thread::get_id();
        port.on_message([&port](int n) { (void)port.post_message(n * n); });
      },
      std::move(ch.port2));
  const async_id wid = last_id(worker_type);
  std::vector<int> answers;
  ch.port1.on_message([&](int sq) {
    answers.push_back(sq);
    if (answers.size() == 3) {
      ch.port1.close();
    }
  });
  int code = -1;
  w.on_exit([&](int c) { code = c; });
  for (int i = 2; i <= 4; ++i) {
    EXPECT_TRUE(ch.port1.post_message(i));
  }
  loop().run();
  EXPECT_THAT(answers, ElementsAre(4, 9, 16));
  EXPECT_EQ(code, 0) << "the worker's loop ran out of work once its port closed";
  // MESSAGEPORTs and WORKER were created on the parent, triggered by its top
  // level; port2's callbacks ran on the worker's thread, port1's here.
  for (const auto& r : rec().records()) {
    if (r.kind == event_kind::init && (r.id == p1 || r.id == p2 || r.id == wid)) {
      EXPECT_EQ(r.trigger, top());
      EXPECT_EQ(r.thread, std::this_thread::get_id());
    }
    if (r.kind == event_kind::before && r.id == p2) {
      EXPECT_EQ(r.thread, worker_thread);
    }
    if (r.kind == event_kind::before && r.id == p1) {
      EXPECT_EQ(r.thread, std::this_thread::get_id());
    }
  }
  // port2: 3 messages + its close on the worker's thread, then its destroy.
  EXPECT_EQ(rec().invocations(p2),
            (tether::test::invocation_counts{.init = 1, .before = 3, .after = 3, .destroy = 1}));
  EXPECT_EQ(rec().invocations(p1),
            (tether::test::invocation_counts{.init = 1, .before = 3, .after = 3, .destroy = 1}));
}

TEST_F(Worker, TheWorkerClosingItsPortRunsTheParentsOnClose) {
  message_channel<std::string> ch;
  worker w(
      [](message_port<std::string>& port) {
        (void)port.post_message(std::string("bye"));
        port.close();
      },
      std::move(ch.port2));
  std::vector<std::string> got;
  ch.port1.on_message([&](std::string s) { got.push_back(s); });
  ch.port1.on_close([&] { got.emplace_back("closed"); });
  loop().run();
  EXPECT_THAT(got, ElementsAre("bye", "closed"));
}

// A million ints each way between the parent and a worker, through a
// bounded channel: the senders pump until refused and resume on_drain; every
// message arrives once, in order.
TEST_F(Worker, AMillionMessagesEachWayInOrderWithBackpressure) {
  rec().disable();  // millions of events
  constexpr std::uint32_t count = 1'000'000;
  message_channel<std::uint32_t> ch({.capacity = 4096});
  struct pump {
    message_port<std::uint32_t>* port;
    std::uint32_t next = 0;
    std::size_t refusals = 0;
    void run() {
      while (next < count) {
        if (!port->post_message(next)) {
          ++refusals;
          return;  // on_drain calls run() again
        }
        ++next;
      }
    }
  };
  std::atomic<std::size_t> worker_bad{0};
  std::atomic<std::size_t> worker_refusals{0};
  worker w(
      [&](message_port<std::uint32_t>& port) {
        auto p = std::make_shared<pump>(pump{&port});
        auto expected = std::make_shared<std::uint32_t>(0);
        port.on_drain([p] { p->run(); });
        port.on_message([&, p, expected](std::uint32_t v) {
          if (v != (*expected)++) {
            worker_bad.fetch_add(1);
          }
          if (*expected == count) {
            worker_refusals = p->refusals;
          }
        });
        p->run();  // the worker sends its million too
      },
      std::move(ch.port2));
  pump parent{&ch.port1};
  std::uint32_t expected = 0;
  std::size_t bad = 0;
  // Once we have sent and received a million, close: the worker still gets
  // what is queued to it first, then its loop runs out of work.
  const auto maybe_close = [&] {
    if (expected == count && parent.next == count) {
      ch.port1.close();
    }
  };
  ch.port1.on_drain([&] {
    parent.run();
    maybe_close();
  });
  ch.port1.on_message([&](std::uint32_t v) {
    if (v != expected++) {
      ++bad;
    }
    maybe_close();
  });
  parent.run();
  loop().run();
  EXPECT_EQ(expected, count);
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(parent.next, count);
  EXPECT_EQ(worker_bad.load(), 0u);
  EXPECT_EQ(w.exit_code(), 0);
  EXPECT_GT(parent.refusals + worker_refusals.load(), 0u) << "the bound was reached";
}

// The worker handles each message slowly; the parent posts as fast as it
// can. The receiver's queue never holds more than the capacity, and
// nothing the parent was told "true" for is lost.
TEST_F(Worker, ASlowReceiverCannotBePushedPastTheCapacity) {
  constexpr std::size_t capacity = 64;
  constexpr std::uint32_t count = 2000;
  message_channel<std::uint32_t> ch({.capacity = capacity});
  std::atomic<std::uint32_t> received{0};
  std::atomic<std::size_t> out_of_order{0};
  worker w(
      [&](message_port<std::uint32_t>& port) {
        port.on_message([&](std::uint32_t v) {
          if (v != received.load()) {
            out_of_order.fetch_add(1);
          }
          received.fetch_add(1);
          if (v % 100 == 0) {
            std::this_thread::sleep_for(2ms);  // slow
          }
        });
      },
      std::move(ch.port2));
  std::uint32_t next = 0;
  std::size_t max_backlog = 0;
  std::size_t refusals = 0;
  std::function<void()> pump = [&] {
    while (next < count) {
      max_backlog = std::max(max_backlog, ch.port1.backlog());
      if (!ch.port1.post_message(next)) {
        ++refusals;
        EXPECT_EQ(ch.port1.backlog(), capacity) << "refused only when full";
        return;
      }
      ++next;
    }
    ch.port1.close();
  };
  ch.port1.on_drain(pump);
  pump();
  loop().run();
  EXPECT_EQ(received.load(), count);
  EXPECT_EQ(out_of_order.load(), 0u);
  EXPECT_LE(max_backlog, capacity);
  EXPECT_GT(refusals, 0u);
}

TEST_F(Worker, APortIsBoundToOneLoopThread) {
  message_channel<int> ch;
  ch.port1.on_message([](int) {});
  std::string error;
  std::thread([&] {
    tether::event_loop other;
    try {
      ch.port1.on_message([](int) {});
    } catch (const tether::usage_error& e) {
      error = e.what();
    }
  }).join();
  EXPECT_THAT(error, ::testing::HasSubstr("not bound"));
  ch.port1.close();
  loop().run();
}

TEST_F(Worker, PostMessageFromAPlainThreadIsDeliveredOnTheLoop) {
  message_channel<int> ch;
  std::vector<int> got;
  ch.port2.on_message([&](int v) {
    got.push_back(v);
    if (v == 999) {
      ch.port2.close();
    }
  });
  std::thread sender([port = std::move(ch.port1)]() mutable {
    for (int i = 0; i < 1000; ++i) {
      while (!port.post_message(i)) {
        std::this_thread::yield();  // no loop here: poll for room
      }
    }
    // The port object ends here: the channel closes after the 1000th.
  });
  loop().run();
  sender.join();
  ASSERT_EQ(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(got[static_cast<std::size_t>(i)], i);
  }
}

}  // namespace
