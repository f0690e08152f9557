// The execution context at a thread's top level and across resources: ids,
// trigger ids, execution_async_resource(). Node: parallel/
// test-async-hooks-execution-async-resource.js, sequential/test-async-wrap-getasyncid.js.
#include <tether/async_hooks.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include <tether/integration.hpp>

#include "support/hook_recorder.hpp"

namespace {

using ::testing::IsEmpty;
using tether::async_id;
using tether::async_resource;
using tether::execution_async_id;
using tether::execution_async_resource;
using tether::trigger_async_id;

bool on_main_thread() { return static_cast<pid_t>(::syscall(SYS_gettid)) == ::getpid(); }

TEST(ExecutionContext, MainThreadTopLevelIdIsOneAndTriggerZero) {
  // gtest runs tests on the thread that runs main().
  ASSERT_TRUE(on_main_thread());
  EXPECT_EQ(execution_async_id(), 1u);
  EXPECT_EQ(trigger_async_id(), 0u);
  // Asking does not change it.
  EXPECT_EQ(execution_async_id(), 1u);
}

TEST(ExecutionContext, TopLevelResourceIsStable) {
  ASSERT_TRUE(on_main_thread());
  tether::resource& first = execution_async_resource();
  tether::resource& second = execution_async_resource();
  EXPECT_EQ(&first, &second);
  EXPECT_EQ(first.type(), "TOPLEVEL");
  EXPECT_EQ(first.id(), 1u);
  EXPECT_EQ(first.trigger_id(), 0u);
  EXPECT_FALSE(first.destroyed());

  // Inside a callback it is the resource; afterwards the same top-level object.
  async_resource r("Job");
  r.run_in_async_scope([&] {
    EXPECT_NE(&execution_async_resource(), &first);
    EXPECT_EQ(&execution_async_resource(), static_cast<tether::resource*>(&r));
  });
  EXPECT_EQ(&execution_async_resource(), &first);
}

TEST(ExecutionContext, TopLevelResourceIsNotReportedToHooks) {
  tether::test::hook_recorder rec;
  rec.enable();
  tether::resource& top = execution_async_resource();
  EXPECT_EQ(top.id(), execution_async_id());
  EXPECT_THAT(rec.events(), IsEmpty());
}

TEST(ExecutionContext, IdsStrictlyIncrease) {
  // More than one block of ids (see thread_state.cpp), from async_resource and
  // from the integration API alike.
  struct op : tether::resource {};
  std::vector<async_id> ids;
  std::vector<std::unique_ptr<async_resource>> keep;
  std::vector<std::unique_ptr<op>> ops;
  for (int i = 0; i < 600; ++i) {
    if (i % 2 == 0) {
      keep.push_back(std::make_unique<async_resource>("Job"));
      ids.push_back(keep.back()->id());
    } else {
      ops.push_back(std::make_unique<op>());
      tether::emit_init(*ops.back(), "Op");
      ids.push_back(ops.back()->id());
    }
  }
  ASSERT_EQ(ids.size(), 600u);
  EXPECT_GT(ids.front(), 1u);
  std::size_t not_increasing = 0;
  for (std::size_t i = 1; i < ids.size(); ++i) {
    if (ids[i] <= ids[i - 1]) {
      ++not_increasing;
      ADD_FAILURE() << "id #" << i << " = " << ids[i] << " after " << ids[i - 1];
    }
  }
  EXPECT_EQ(not_increasing, 0u);
  for (auto& o : ops) {
    tether::emit_destroy(*o);
  }
}

TEST(ExecutionContext, IdsIncreaseAcrossNestedScopes) {
  async_resource a("Job");
  async_id inner_id = 0;
  a.run_in_async_scope([&] {
    async_resource b("Job");
    inner_id = b.id();
    EXPECT_EQ(b.trigger_id(), a.id());
  });
  async_resource c("Job");
  EXPECT_GT(inner_id, a.id());
  EXPECT_GT(c.id(), inner_id);
  EXPECT_EQ(c.trigger_id(), 1u);
}

}  // namespace
