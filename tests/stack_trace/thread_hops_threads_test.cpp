// Creation hops that cross threads: a POST made on another thread shows the
// poster's stack, and a worker's message callback shows where its port was
// created (on the parent's thread). Capture and symbolization run on both
// threads at once (TSan, label threads).
#include <tether/stack_trace.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <utility>

#include <tether/async_hooks.hpp>
#include <tether/event_loop.hpp>
#include <tether/worker.hpp>

#include "stack_trace/trace_fixture.hpp"

namespace tether::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ThreadHops : public trace_fixture {};

async_trace posted_trace;  // written on the loop's thread, read after run()

TETHER_NOINLINE void take_posted_trace() { posted_trace = async_stack_trace(); }

TETHER_NOINLINE bool post_from_a_helper_thread(event_loop& l) {
  return l.post([] { take_posted_trace(); });
}

TEST_F(ThreadHops, PostHopShowsThePostersStack) {
  bool posted = false;
  std::thread poster([&] { posted = post_from_a_helper_thread(loop()); });
  poster.join();
  ASSERT_TRUE(posted);
  loop().run();
  ASSERT_FALSE(posted_trace.empty());
  EXPECT_TRUE(mentions(posted_trace.frames(), "take_posted_trace"));
  const std::vector<async_hop> hops = posted_trace.hops();
  ASSERT_EQ(hops.size(), 1u) << to_string(posted_trace);
  EXPECT_EQ(hops[0].type, "POST");
  EXPECT_TRUE(hops[0].recorded);
  EXPECT_TRUE(mentions(hops[0].frames, "post_from_a_helper_thread")) << to_string(posted_trace);
  const std::string text = to_string(posted_trace);
  EXPECT_THAT(text, HasSubstr("-- POST " + std::to_string(hops[0].id) + " created at:\n"));
  EXPECT_THAT(text, HasSubstr("thread_hops_threads_test.cpp:"));
  EXPECT_THAT(text, Not(HasSubstr("tether::detail::"))) << text;
  posted_trace = {};
}

std::string worker_text;  // written by the worker, read after it ended

TETHER_NOINLINE void take_trace_in_the_worker() { worker_text = to_string(async_stack_trace()); }

TETHER_NOINLINE message_channel<int> open_channel_on_the_parent() { return message_channel<int>(); }

TEST_F(ThreadHops, WorkerMessageHopShowsWhereThePortWasCreated) {
  message_channel<int> ch = open_channel_on_the_parent();
  worker w(
      [](message_port<int>& port) {
        port.on_message([&port](int) {
          take_trace_in_the_worker();
          port.close();
        });
      },
      std::move(ch.port2));
  ASSERT_TRUE(ch.port1.post_message(1));
  ch.port1.close();
  loop().run();  // until the worker has exited
  EXPECT_EQ(w.exit_code(), 0);
  EXPECT_THAT(worker_text, HasSubstr("take_trace_in_the_worker"));
  EXPECT_THAT(worker_text, HasSubstr(" created at:\n"));
  EXPECT_THAT(worker_text, HasSubstr("MESSAGEPORT"));
  EXPECT_THAT(worker_text, HasSubstr("open_channel_on_the_parent")) << worker_text;
  EXPECT_THAT(worker_text, Not(HasSubstr("tether::detail::"))) << worker_text;
  worker_text.clear();
}

}  // namespace
}  // namespace tether::test
