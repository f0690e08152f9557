// message_channel / message_port on one thread (Node: test-worker-message-
// channel*.js, test-worker-message-port*.js): the MESSAGEPORT resources and
// the exact hook sequence of a delivery and a close, order and losslessness,
// messages queued before on_message, close from either side, the bound and
// on_drain, ref/unref, a port object or its loop going away, exceptions in
// handlers, misuse. Ports across threads: worker_threads_test.cpp.
#include <tether/worker.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>
#include <tether/error.hpp>
#include <tether/timers.hpp>

#include "runtime/loop_fixture.hpp"

namespace {

using ::testing::ElementsAre;
using tether::async_id;
using tether::execution_async_id;
using tether::message_channel;
using tether::message_port;
using tether::usage_error;

constexpr std::string_view port_type = "MESSAGEPORT";

class MessagePort : public tether::test::loop_fixture {
 protected:
  /// The ids of the two MESSAGEPORT resources created last (port1, port2).
  std::pair<async_id, async_id> port_ids() {
    std::vector<async_id> ids;
    for (const auto& r : rec().records()) {
      if (r.kind == tether::test::event_kind::init && r.type == port_type) {
        ids.push_back(r.id);
      }
    }
    return {ids.at(ids.size() - 2), ids.back()};
  }
};

TEST_F(MessagePort, DeliveryAndCloseExactHookSequence) {
  message_channel<int> ch;
  const auto [p1, p2] = port_ids();
  async_id in_handler = 0;
  ch.port2.on_message([&](int v) {
    in_handler = execution_async_id();
    mark("got" + std::to_string(v));
    if (v == 2) {
      ch.port2.close();
    }
  });
  ch.port1.on_close([&] { mark("close1"); });
  ch.port2.on_close([&] { mark("close2"); });
  EXPECT_TRUE(ch.port1.post_message(1));
  EXPECT_TRUE(ch.port1.post_message(2));
  loop().run();
  EXPECT_EQ(in_handler, p2);
  EXPECT_TRUE(ch.port1.closed());
  EXPECT_THAT(log(), ElementsAre(init(port_type, p1, top()), init(port_type, p2, top()),
                                 before(p2), "got1", after(p2), before(p2), "got2", after(p2),
                                 // the close: port2 is woken first (it closed), then port1
                                 before(p2), "close2", after(p2), destroy(p2),
                                 before(p1), "close1", after(p1), destroy(p1)));
}

TEST_F(MessagePort, HundredThousandMessagesArriveInOrderWithTicksDrainedBetween) {
  rec().disable();  // 600,000 events: count them instead
  tether::test::balance_counter counter;
  message_channel<std::uint32_t> ch({.capacity = 200'000});
  std::uint32_t expected = 0;
  std::size_t bad = 0;
  std::size_t ticks = 0;
  ch.port2.on_message([&](std::uint32_t v) {
    if (v != expected) {
      ++bad;
    }
    ++expected;
    tether::next_tick([&, v] {
      // Runs before the next message is delivered (Node: one event per message).
      if (expected != v + 1) {
        ++bad;
      }
      ++ticks;
    });
    if (expected == 100'000) {
      ch.port2.close();
    }
  });
  for (std::uint32_t i = 0; i < 100'000; ++i) {
    ASSERT_TRUE(ch.port1.post_message(i));
  }
  loop().run();
  EXPECT_EQ(expected, 100'000u);
  EXPECT_EQ(ticks, 100'000u);
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(counter.befores, 200'000u);  // a message and its tick each (no on_close set)
  EXPECT_EQ(counter.live(), 1u);          // port1, never bound: destroyed with its object
  EXPECT_EQ(counter.problems, 0u);
}

TEST_F(MessagePort, MessagesPostedBeforeOnMessageWaitForIt) {
  message_channel<std::string> ch;
  EXPECT_TRUE(ch.port1.post_message(std::string("early")));
  std::vector<std::string> got;
  tether::set_timeout([&] {
    mark("handler-set");
    ch.port2.on_message([&](std::string s) {
      mark(s);
      ch.port2.close();
    });
  });
  loop().run();
  EXPECT_THAT(markers(), ElementsAre("handler-set", "early"));
}

TEST_F(MessagePort, CloseFromTheSenderSideDeliversWhatWasQueuedThenClosesBoth) {
  message_channel<int> ch;
  std::vector<int> got;
  ch.port2.on_message([&](int v) { got.push_back(v); });
  ch.port2.on_close([&] { mark("close2"); });
  ch.port1.on_close([&] { mark("close1"); });
  EXPECT_TRUE(ch.port1.post_message(1));
  EXPECT_TRUE(ch.port1.post_message(2));
  ch.port1.close();
  int refused = 5;
  EXPECT_FALSE(ch.port1.post_message(std::move(refused)));
  EXPECT_FALSE(ch.port2.post_message(6));
  EXPECT_EQ(refused, 5);
  loop().run();
  EXPECT_THAT(got, ElementsAre(1, 2));
  // Both woken by the close in one poll phase, in the order their handles
  // were bound (libuv's order): port2 first.
  EXPECT_THAT(markers(), ElementsAre("close2", "close1"));
}

TEST_F(MessagePort, AFullPortRefusesWithoutTakingTheMessageAndDrainsLater) {
  message_channel<std::unique_ptr<int>> ch({.capacity = 4});
  std::vector<int> got;
  std::size_t drains = 0;
  int next = 0;
  constexpr int total = 20;
  // The sender posts until refused, then waits for on_drain.
  std::function<void()> pump = [&] {
    while (next < total) {
      auto msg = std::make_unique<int>(next);
      if (!ch.port1.post_message(std::move(msg))) {
        EXPECT_NE(msg, nullptr) << "a refused message stays with the caller";
        EXPECT_LE(ch.port1.backlog(), 4u);
        return;
      }
      ++next;
    }
    ch.port1.close();
  };
  ch.port1.on_drain([&] {
    ++drains;
    pump();
  });
  ch.port2.on_message([&](std::unique_ptr<int> v) { got.push_back(*v); });
  pump();
  EXPECT_EQ(next, 4);
  EXPECT_EQ(ch.port1.backlog(), 4u);
  loop().run();
  ASSERT_EQ(got.size(), std::size_t{total});
  for (int i = 0; i < total; ++i) {
    EXPECT_EQ(got[static_cast<std::size_t>(i)], i);
  }
  EXPECT_GE(drains, 4u);
  EXPECT_THROW(message_channel<int>({.capacity = 0}), usage_error);
}

TEST_F(MessagePort, AnOpenPortKeepsTheLoopAliveUnlessUnrefd) {
  message_channel<int> ch;
  ch.port2.on_message([](int) {});
  EXPECT_TRUE(ch.port2.has_ref());
  ch.port2.unref();
  EXPECT_FALSE(ch.port2.has_ref());
  EXPECT_EQ(loop().run(), 0);  // returns although the port is open
  EXPECT_FALSE(ch.port2.closed());
  // ref() again and a timer that closes: run() waits for the close.
  ch.port2.ref();
  tether::set_timeout([&] { ch.port1.close(); }, std::chrono::milliseconds(5));
  ch.port2.on_close([&] { mark("closed"); });
  EXPECT_EQ(loop().run(), 0);
  EXPECT_THAT(markers(), ElementsAre("closed"));
}

TEST_F(MessagePort, DestroyingAPortObjectClosesTheChannelAndDropsItsCallbacks) {
  message_channel<int> ch;
  const auto [p1, p2] = port_ids();
  std::optional<message_port<int>> receiver(std::move(ch.port2));
  bool delivered = false;
  receiver->on_message([&](int) { delivered = true; });
  receiver->on_close([&] { mark("receiver-close"); });
  EXPECT_TRUE(ch.port1.post_message(1));
  ch.port1.on_close([&] { mark("sender-close"); });
  receiver.reset();
  EXPECT_FALSE(ch.port1.post_message(2));
  loop().run();
  EXPECT_FALSE(delivered);
  EXPECT_THAT(markers(), ElementsAre("sender-close"));
  EXPECT_THAT(rec().events_of_type(port_type),
              ::testing::IsSupersetOf({destroy(p1), destroy(p2)}));
}

TEST_F(MessagePort, ANeverBoundPortIsDestroyedWithItsObject) {
  std::optional<message_channel<int>> ch(std::in_place);
  const auto [p1, p2] = port_ids();
  EXPECT_TRUE(ch->port1.post_message(1));
  ch.reset();
  EXPECT_THAT(rec().events_of_type(port_type),
              ElementsAre(init(port_type, p1, top()), init(port_type, p2, top()), destroy(p2),
                          destroy(p1)));  // members go in reverse order
}

TEST_F(MessagePort, HandlersRunInTheContextCapturedWhenTheChannelWasMade) {
  tether::async_local_storage<int> als;
  std::optional<message_channel<int>> ch;
  als.run(42, [&] { ch.emplace(); });
  int seen = 0;
  ch->port2.on_message([&](int) {
    const int* store = als.get_store();
    seen = store != nullptr ? *store : -1;
    ch->port2.close();
  });
  EXPECT_TRUE(ch->port1.post_message(1));
  loop().run();
  EXPECT_EQ(seen, 42);
}

TEST_F(MessagePort, AThrowingHandlerStopsRunAndTheRestIsDeliveredNextRun) {
  message_channel<int> ch;
  std::vector<int> got;
  ch.port2.on_message([&](int v) {
    got.push_back(v);
    if (v == 1) {
      throw std::runtime_error("handler failed");
    }
    if (v == 3) {
      ch.port2.close();
    }
  });
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(ch.port1.post_message(i));
  }
  EXPECT_THROW(loop().run(), std::runtime_error);
  EXPECT_THAT(got, ElementsAre(0, 1));
  loop().run();
  EXPECT_THAT(got, ElementsAre(0, 1, 2, 3)) << "nothing lost, nothing twice";
}

TEST_F(MessagePort, TheLoopGoingAwayEndsItsPortsAndClosesTheChannel) {
  message_channel<int> ch;
  const auto [p1, p2] = port_ids();
  ch.port2.on_message([&](int) { ADD_FAILURE() << "no user code during teardown"; });
  ch.port2.on_close([&] { ADD_FAILURE() << "no user code during teardown"; });
  EXPECT_TRUE(ch.port1.post_message(1));
  destroy_loop();
  EXPECT_TRUE(ch.port1.closed());
  EXPECT_FALSE(ch.port1.post_message(2));
  EXPECT_THAT(rec().events_of_type(port_type), ::testing::Contains(destroy(p2)));
  // port1 was never bound: its destroy comes with its object (end of test).
  EXPECT_THAT(rec().events_of_type(port_type), ::testing::Not(::testing::Contains(destroy(p1))));
}

TEST_F(MessagePort, MisuseThrowsUsageError) {
  message_port<int> empty;
  EXPECT_FALSE(empty.post_message(1));
  EXPECT_TRUE(empty.closed());
  EXPECT_THROW(empty.on_message([](int) {}), usage_error);
  EXPECT_THROW(empty.ref(), usage_error);
  message_channel<int> ch;
  ch.port2.on_message([](int) {});
  ch.port2.close();
  loop().run();
  // Ended (closed and on_close done): handlers can no longer be set.
  EXPECT_THROW(ch.port2.on_message([](int) {}), usage_error);
}

}  // namespace
