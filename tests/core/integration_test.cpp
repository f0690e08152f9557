// The integration API (emit_init, callback_scope, emit_destroy,
// emit_promise_resolve) driven the way an event loop drives it: a custom
// resource type and a tiny run queue.
#include <tether/integration.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>

#include "support/hook_recorder.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using tether::async_id;
using tether::callback_scope;
using tether::execution_async_id;
using tether::execution_async_resource;
using tether::trigger_async_id;
using tether::test::hook_recorder;
using tether::test::invocation_counts;

std::string str(async_id id) { return std::to_string(id); }

/// A third-party operation: a resource plus the user's callback.
struct my_op : tether::resource {
  std::function<void()> callback;
};

/// The smallest event loop: post() schedules (emit_init in the posting
/// context), run() runs each callback in a callback_scope and then destroys
/// the operation (emit_destroy), in FIFO order until nothing is left.
class run_queue {
 public:
  async_id post(std::function<void()> callback, async_id trigger = 0) {
    auto op = std::make_unique<my_op>();
    op->callback = std::move(callback);
    tether::emit_init(*op, "MyOp", trigger);
    const async_id id = op->id();
    queue_.push_back(std::move(op));
    return id;
  }

  void run() {
    while (!queue_.empty()) {
      std::unique_ptr<my_op> op = std::move(queue_.front());
      queue_.pop_front();
      {
        callback_scope scope(*op);
        // Move the callback out first (integration.hpp's rule): it may post.
        std::function<void()> callback = std::move(op->callback);
        callback();
      }
      tether::emit_destroy(*op);
    }
  }

 private:
  std::deque<std::unique_ptr<my_op>> queue_;
};

TEST(Integration, EmitInitAssignsFreshIdAndDefaultTrigger) {
  hook_recorder rec;
  rec.enable();
  my_op a;
  EXPECT_EQ(a.id(), 0u);  // nothing assigned before emit_init
  EXPECT_EQ(a.trigger_id(), 0u);
  EXPECT_EQ(a.type(), "");
  EXPECT_FALSE(a.destroyed());

  tether::emit_init(a, "MyOp");
  EXPECT_GT(a.id(), 1u);
  EXPECT_EQ(a.trigger_id(), 1u);
  EXPECT_EQ(a.type(), "MyOp");

  my_op b;
  tether::emit_init(b, "MyOp");
  EXPECT_GT(b.id(), a.id());

  EXPECT_THAT(rec.events(), ElementsAre("init MyOp " + str(a.id()) + " trigger 1",
                                        "init MyOp " + str(b.id()) + " trigger 1"));
  const auto ops = rec.activities_of_type("MyOp");
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].res, &a);  // init receives the custom resource itself
  EXPECT_EQ(ops[1].res, &b);
  tether::emit_destroy(a);
  tether::emit_destroy(b);
  rec.sanity_check({.complete = true});
}

TEST(Integration, EmitInitHonoursExplicitTrigger) {
  my_op a;
  tether::emit_init(a, "MyOp", 4242);
  EXPECT_EQ(a.trigger_id(), 4242u);
  EXPECT_NE(a.id(), 4242u);
  tether::emit_destroy(a);
}

TEST(Integration, RunQueueDrivesTheLifeCycle) {
  hook_recorder rec;
  rec.enable();
  run_queue loop;
  struct observed {
    async_id id, trigger, resource_id;
  };
  std::vector<observed> seen;
  const auto observe = [&] {
    seen.push_back({execution_async_id(), trigger_async_id(), execution_async_resource().id()});
  };

  async_id b = 0;
  async_id c = 0;
  const async_id a = loop.post([&] {
    observe();
    b = loop.post(observe);
    c = loop.post(observe, 777);
  });
  EXPECT_EQ(rec.invocations(a), (invocation_counts{.init = 1}));
  loop.run();

  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].id, a);
  EXPECT_EQ(seen[0].trigger, 1u);
  EXPECT_EQ(seen[0].resource_id, a);
  EXPECT_EQ(seen[1].id, b);
  EXPECT_EQ(seen[1].trigger, a);  // posted from a's callback
  EXPECT_EQ(seen[1].resource_id, b);
  EXPECT_EQ(seen[2].id, c);
  EXPECT_EQ(seen[2].trigger, 777u);
  EXPECT_EQ(execution_async_id(), 1u);

  EXPECT_THAT(rec.events(), ElementsAre("init MyOp " + str(a) + " trigger 1", "before " + str(a),
                                        "init MyOp " + str(b) + " trigger " + str(a),
                                        "init MyOp " + str(c) + " trigger 777", "after " + str(a),
                                        "destroy " + str(a), "before " + str(b), "after " + str(b),
                                        "destroy " + str(b), "before " + str(c), "after " + str(c),
                                        "destroy " + str(c)));
  rec.sanity_check({.complete = true});
}

TEST(Integration, CallbackScopeSetsAndRestoresContext) {
  tether::async_local_storage<int> als;
  my_op op;
  als.run(7, [&] { tether::emit_init(op, "MyOp", 55); });  // captures the frame with 7
  const tether::resource* top = &execution_async_resource();
  EXPECT_EQ(als.get_store(), nullptr);

  {
    callback_scope scope(op);
    EXPECT_EQ(execution_async_id(), op.id());
    EXPECT_EQ(trigger_async_id(), 55u);
    EXPECT_EQ(&execution_async_resource(), &op);
    ASSERT_NE(als.get_store(), nullptr);
    EXPECT_EQ(*als.get_store(), 7);
  }
  EXPECT_EQ(execution_async_id(), 1u);
  EXPECT_EQ(trigger_async_id(), 0u);
  EXPECT_EQ(&execution_async_resource(), top);
  EXPECT_EQ(als.get_store(), nullptr);

  // The frame in force around the scope comes back, not just "none".
  als.run(1, [&] {
    {
      callback_scope scope(op);
      EXPECT_EQ(*als.get_store(), 7);
    }
    ASSERT_NE(als.get_store(), nullptr);
    EXPECT_EQ(*als.get_store(), 1);
  });
  tether::emit_destroy(op);
}

TEST(Integration, CallbackScopeRestoresOnException) {
  hook_recorder rec;
  rec.enable();
  tether::async_local_storage<std::string> als;
  my_op op;
  als.run("captured", [&] { tether::emit_init(op, "MyOp"); });

  als.run("outside", [&] {
    try {
      callback_scope scope(op);
      EXPECT_EQ(*als.get_store(), "captured");
      als.enter_with("entered inside");  // ends with the scope
      throw std::runtime_error("callback failed");
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "callback failed");
    }
    EXPECT_EQ(execution_async_id(), 1u);
    EXPECT_EQ(trigger_async_id(), 0u);
    ASSERT_NE(als.get_store(), nullptr);
    EXPECT_EQ(*als.get_store(), "outside");
  });
  tether::emit_destroy(op);
  EXPECT_THAT(rec.events(),
              ElementsAre("init MyOp " + str(op.id()) + " trigger 1", "before " + str(op.id()),
                          "after " + str(op.id()), "destroy " + str(op.id())));
}

TEST(Integration, NestedCallbackScopes) {
  hook_recorder rec;
  rec.enable();
  my_op outer;
  my_op inner;
  tether::emit_init(outer, "MyOp");
  tether::emit_init(inner, "MyOp", outer.id());
  std::vector<async_id> ids;
  {
    callback_scope s1(outer);
    ids.push_back(execution_async_id());
    {
      callback_scope s2(inner);
      ids.push_back(execution_async_id());
      ids.push_back(trigger_async_id());
      {
        callback_scope again(outer);  // re-entering an outer resource is fine
        ids.push_back(execution_async_id());
      }
      ids.push_back(execution_async_id());
    }
    ids.push_back(execution_async_id());
  }
  ids.push_back(execution_async_id());
  EXPECT_THAT(
      ids, ElementsAre(outer.id(), inner.id(), outer.id(), outer.id(), inner.id(), outer.id(), 1u));
  const std::string o = str(outer.id());
  const std::string i = str(inner.id());
  EXPECT_THAT(rec.events(),
              ElementsAre("init MyOp " + o + " trigger 1", "init MyOp " + i + " trigger " + o,
                          "before " + o, "before " + i, "before " + o, "after " + o, "after " + i,
                          "after " + o));
  tether::emit_destroy(inner);
  tether::emit_destroy(outer);
  rec.sanity_check({.complete = true});
}

TEST(Integration, EmitDestroyOnceThenUsageError) {
  hook_recorder rec;
  rec.enable();
  my_op op;
  tether::emit_init(op, "MyOp");
  EXPECT_FALSE(op.destroyed());
  tether::emit_destroy(op);
  EXPECT_TRUE(op.destroyed());
  try {
    tether::emit_destroy(op);
    ADD_FAILURE() << "second emit_destroy did not throw";
  } catch (const tether::usage_error& e) {
    const std::string what = e.what();
    EXPECT_THAT(what, HasSubstr("twice"));
    EXPECT_THAT(what, HasSubstr(str(op.id())));
    EXPECT_THAT(what, HasSubstr("\"MyOp\""));
    EXPECT_THAT(what, HasSubstr("call it once"));
  }
  EXPECT_TRUE(op.destroyed());
  EXPECT_EQ(rec.invocations(op.id()), (invocation_counts{.init = 1, .destroy = 1}));
}

TEST(Integration, EmitDestroyInsideOwnScopeFollowsItsAfter) {
  // Node queues destroys, so destroy never precedes the last after; tether
  // emits synchronously and so holds back a destroy issued from inside the
  // resource's own callback until that callback's after.
  hook_recorder rec;
  rec.enable();
  my_op op;
  tether::emit_init(op, "MyOp");
  {
    callback_scope scope(op);
    tether::emit_destroy(op);
    EXPECT_TRUE(op.destroyed());
    EXPECT_EQ(rec.invocations(op.id()), (invocation_counts{.init = 1, .before = 1}));
  }
  const std::string id = str(op.id());
  EXPECT_THAT(rec.events(), ElementsAre("init MyOp " + id + " trigger 1", "before " + id,
                                        "after " + id, "destroy " + id));
  EXPECT_THROW(tether::emit_destroy(op), tether::usage_error);
  rec.sanity_check({.complete = true});
}

TEST(Integration, EmitPromiseResolveFiresPromiseResolve) {
  hook_recorder rec;
  rec.enable();
  my_op promise;
  my_op settler;
  tether::emit_init(promise, "PROMISE");
  tether::emit_init(settler, "MyOp");
  {
    // Settled from another resource's callback: the hook runs in that context.
    callback_scope scope(settler);
    tether::emit_promise_resolve(promise);
  }
  tether::emit_destroy(promise);
  tether::emit_destroy(settler);

  EXPECT_EQ(rec.invocations(promise.id()),
            (invocation_counts{.init = 1, .destroy = 1, .promise_resolve = 1}));
  const auto recs = rec.records();
  ASSERT_EQ(recs.size(), 7u);
  EXPECT_EQ(tether::test::to_string(recs[3]), "promise_resolve " + str(promise.id()));
  EXPECT_EQ(recs[3].type, "PROMISE");
  EXPECT_EQ(recs[3].execution_id, settler.id());
  rec.sanity_check({.complete = true});
}

TEST(Integration, ReinitialisedResourceGetsNewId) {
  // Node's pooled keep-alive sockets: each reuse is a new resource with a new
  // id, its old id destroyed first.
  hook_recorder rec;
  rec.enable();
  tether::async_local_storage<int> als;
  my_op socket;
  als.run(1, [&] { tether::emit_init(socket, "MyOp"); });
  const async_id first = socket.id();
  tether::emit_destroy(socket);
  EXPECT_TRUE(socket.destroyed());

  tether::async_resource user("User");
  user.run_in_async_scope([&] { als.run(2, [&] { tether::emit_init(socket, "MyOp"); }); });
  const async_id second = socket.id();
  EXPECT_GT(second, first);
  EXPECT_FALSE(socket.destroyed());
  EXPECT_EQ(socket.trigger_id(), user.id());
  {
    callback_scope scope(socket);
    EXPECT_EQ(execution_async_id(), second);
    ASSERT_NE(als.get_store(), nullptr);
    EXPECT_EQ(*als.get_store(), 2);  // the frame captured at the second init
  }
  tether::emit_destroy(socket);

  EXPECT_THAT(
      rec.events_of_type("MyOp"),
      ElementsAre("init MyOp " + str(first) + " trigger 1", "destroy " + str(first),
                  "init MyOp " + str(second) + " trigger " + str(user.id()),
                  "before " + str(second), "after " + str(second), "destroy " + str(second)));
  rec.sanity_check();
}

}  // namespace

// --- captured_context / context_scope ----------------------------------------

TEST(Integration, CapturedContextRestoresTheStoresOfThen) {
  tether::async_local_storage<std::string> als;
  tether::captured_context saved;
  EXPECT_TRUE(saved.empty());
  als.run("request-1", [&] { saved = tether::captured_context::current(); });
  EXPECT_FALSE(saved.empty());
  EXPECT_EQ(als.get_store(), nullptr);

  const async_id before = execution_async_id();
  {
    const tether::context_scope in_saved(saved);
    ASSERT_NE(als.get_store(), nullptr);
    EXPECT_EQ(*als.get_store(), "request-1");
    EXPECT_EQ(execution_async_id(), before);  // no id changes, no resource
    als.run("nested", [&] { EXPECT_EQ(*als.get_store(), "nested"); });
    EXPECT_EQ(*als.get_store(), "request-1");
  }
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST(Integration, ContextScopeFiresNoHookAndEndsAnEnterWithInside) {
  tether::async_local_storage<int> als;
  hook_recorder rec;
  tether::captured_context empty;
  {
    const tether::context_scope outer(empty);  // holds the enter_with(1) below
    als.enter_with(1);
    {
      const tether::context_scope in_empty(empty);
      EXPECT_EQ(als.get_store(), nullptr);
      als.enter_with(2);
      EXPECT_EQ(*als.get_store(), 2);
    }
    ASSERT_NE(als.get_store(), nullptr);
    EXPECT_EQ(*als.get_store(), 1);  // the inner enter_with ended with the scope
  }
  EXPECT_EQ(als.get_store(), nullptr);
  EXPECT_TRUE(rec.events().empty());
}

TEST(Integration, ContextScopeRestoresOnException) {
  tether::async_local_storage<int> als;
  tether::captured_context seven;
  als.run(7, [&] { seven = tether::captured_context::current(); });
  EXPECT_THROW(
      {
        const tether::context_scope in_seven(seven);
        EXPECT_EQ(*als.get_store(), 7);
        throw std::runtime_error("boom");
      },
      std::runtime_error);
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST(Integration, CapturedContextCopiesShareOneFrameThatOutlivesTheRun) {
  tether::async_local_storage<std::string> als;
  tether::captured_context a;
  als.run("kept", [&] { a = tether::captured_context::current(); });
  tether::captured_context b = a;            // copy
  tether::captured_context c = std::move(a);  // move leaves a empty
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  for (const tether::captured_context* ctx : {&b, &c}) {
    const tether::context_scope in(*ctx);
    EXPECT_EQ(*als.get_store(), "kept");
  }
}
