// Hooks: create_hook, enable/disable, ordering of several hooks, destroy
// delivery, move semantics. Node: test/async-hooks/test-enable-disable.js,
// parallel/test-async-hooks-enable-disable.js, init-hooks.js.
#include <tether/async_hooks.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <tether/integration.hpp>

#include "support/hook_recorder.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using tether::async_hook;
using tether::async_id;
using tether::async_resource;
using tether::create_hook;
using tether::hook_callbacks;
using tether::test::hook_recorder;
using tether::test::invocation_counts;

std::string str(async_id id) { return std::to_string(id); }

/// A hook that appends "<name> <event> <id>" to `log` for every event.
async_hook logging_hook(std::vector<std::string>& log, std::string name) {
  hook_callbacks cb;
  cb.init = [&log, name](async_id id, std::string_view, async_id, tether::resource&) {
    log.push_back(name + " init " + str(id));
  };
  cb.before = [&log, name](async_id id) { log.push_back(name + " before " + str(id)); };
  cb.after = [&log, name](async_id id) { log.push_back(name + " after " + str(id)); };
  cb.destroy = [&log, name](async_id id) { log.push_back(name + " destroy " + str(id)); };
  cb.promise_resolve = [&log, name](async_id id) {
    log.push_back(name + " promise_resolve " + str(id));
  };
  return create_hook(std::move(cb));
}

TEST(AsyncHook, NothingFiresBeforeEnable) {
  int calls = 0;
  hook_callbacks cb;
  cb.init = [&](async_id, std::string_view, async_id, tether::resource&) { ++calls; };
  cb.before = [&](async_id) { ++calls; };
  cb.after = [&](async_id) { ++calls; };
  cb.destroy = [&](async_id) { ++calls; };
  cb.promise_resolve = [&](async_id) { ++calls; };
  async_hook hook = create_hook(std::move(cb));

  {
    async_resource r("Job");
    r.run_in_async_scope([] {});
    tether::emit_promise_resolve(r);
  }
  EXPECT_EQ(calls, 0);

  hook.enable();
  {
    async_resource r("Job");
    r.run_in_async_scope([] {});
    tether::emit_promise_resolve(r);
  }
  EXPECT_EQ(calls, 5);  // init, before, after, promise_resolve, destroy
}

TEST(AsyncHook, NothingFiresAfterDisable) {
  hook_recorder rec;
  rec.enable();
  std::optional<async_resource> r;
  r.emplace("Job");
  const async_id id = r->id();
  r->run_in_async_scope([&] {});
  rec.disable();

  r->run_in_async_scope([] {});
  tether::emit_promise_resolve(*r);
  r.reset();
  async_resource other("Job");
  other.run_in_async_scope([] {});

  EXPECT_THAT(rec.events(), ElementsAre("init Job " + str(id) + " trigger 1", "before " + str(id),
                                        "after " + str(id)));
}

TEST(AsyncHook, EnableAndDisableAreIdempotentAndReturnTheHook) {
  std::vector<std::string> log;
  async_hook hook = logging_hook(log, "h");

  EXPECT_EQ(&hook.enable(), &hook);
  EXPECT_EQ(&hook.enable(), &hook);
  EXPECT_TRUE(hook.enabled());
  {
    async_resource r("Job");
    const std::string id = str(r.id());
    r.run_in_async_scope([] {});
    r.emit_destroy();
    // Enabled twice is still one registration: each event exactly once.
    EXPECT_THAT(log,
                ElementsAre("h init " + id, "h before " + id, "h after " + id, "h destroy " + id));
  }

  EXPECT_EQ(&hook.disable(), &hook);
  EXPECT_EQ(&hook.disable(), &hook);
  EXPECT_FALSE(hook.enabled());
  log.clear();
  {
    async_resource r("Job");
    r.run_in_async_scope([] {});
  }
  EXPECT_THAT(log, IsEmpty());

  // Enabling again after a double disable works once more.
  hook.enable();
  {
    async_resource r("Job");
    EXPECT_THAT(log, ElementsAre("h init " + str(r.id())));
    log.clear();
  }
  EXPECT_EQ(log.size(), 1u);  // the destroy
}

TEST(AsyncHook, EnabledReflectsState) {
  async_hook empty;
  EXPECT_FALSE(empty.enabled());

  async_hook hook = create_hook({});
  EXPECT_FALSE(hook.enabled());
  hook.enable();
  EXPECT_TRUE(hook.enabled());
  hook.disable();
  EXPECT_FALSE(hook.enabled());
  hook.enable().disable().enable();
  EXPECT_TRUE(hook.enabled());
}

TEST(AsyncHook, SeveralHooksFireInEnableOrderForEveryEvent) {
  std::vector<std::string> log;
  async_hook a = logging_hook(log, "a");
  async_hook b = logging_hook(log, "b");
  async_hook c = logging_hook(log, "c");
  // Creation order a, b, c; enable order b, c, a.
  b.enable();
  c.enable();
  a.enable();

  async_resource r("Job");
  const std::string id = str(r.id());
  r.run_in_async_scope([] {});
  tether::emit_promise_resolve(r);
  r.emit_destroy();

  EXPECT_THAT(log, ElementsAre("b init " + id, "c init " + id, "a init " + id,  //
                               "b before " + id, "c before " + id, "a before " + id,
                               "b after " + id, "c after " + id, "a after " + id,
                               "b promise_resolve " + id, "c promise_resolve " + id,
                               "a promise_resolve " + id,  //
                               "b destroy " + id, "c destroy " + id, "a destroy " + id));
}

TEST(AsyncHook, DisableThenEnableMovesHookToEnd) {
  std::vector<std::string> log;
  async_hook a = logging_hook(log, "a");
  async_hook b = logging_hook(log, "b");
  async_hook c = logging_hook(log, "c");
  a.enable();
  b.enable();
  c.enable();
  a.disable().enable();  // now b, c, a
  b.enable();            // already enabled: stays where it is

  async_resource r("Job");
  const std::string id = str(r.id());
  r.run_in_async_scope([] {});
  EXPECT_THAT(log, ElementsAre("b init " + id, "c init " + id, "a init " + id,  //
                               "b before " + id, "c before " + id, "a before " + id,
                               "b after " + id, "c after " + id, "a after " + id));

  log.clear();
  b.disable().enable();  // now c, a, b
  r.emit_destroy();
  EXPECT_THAT(log, ElementsAre("c destroy " + id, "a destroy " + id, "b destroy " + id));
}

TEST(AsyncHook, DestroyFiresOnceFromTheDestructor) {
  hook_recorder rec;
  rec.enable();
  async_id id = 0;
  {
    async_resource r("Job");
    id = r.id();
    EXPECT_EQ(rec.invocations(id), (invocation_counts{.init = 1}));
  }
  EXPECT_EQ(rec.invocations(id), (invocation_counts{.init = 1, .destroy = 1}));
  EXPECT_THAT(rec.events(),
              ElementsAre("init Job " + str(id) + " trigger 1", "destroy " + str(id)));
  rec.sanity_check({.complete = true});
}

TEST(AsyncHook, DestroyFiresOnceFromEmitDestroyAndNotAgainFromTheDestructor) {
  hook_recorder rec;
  rec.enable();
  async_id id = 0;
  {
    async_resource r("Job");
    id = r.id();
    r.run_in_async_scope([] {});
    r.emit_destroy();
    EXPECT_TRUE(r.destroyed());
    EXPECT_EQ(rec.invocations(id),
              (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));
  }
  EXPECT_EQ(rec.invocations(id),
            (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));
  rec.sanity_check({.complete = true});
}

TEST(AsyncHook, RequireManualDestroyOnlyEmitDestroyFires) {
  hook_recorder rec;
  rec.enable();
  async_id silent = 0;
  {
    async_resource r("Job", {.require_manual_destroy = true});
    silent = r.id();
    r.run_in_async_scope([] {});
  }
  // The destructor emits nothing.
  EXPECT_EQ(rec.invocations(silent), (invocation_counts{.init = 1, .before = 1, .after = 1}));

  async_id manual = 0;
  {
    async_resource r("Job", {.require_manual_destroy = true});
    manual = r.id();
    r.emit_destroy();
    EXPECT_EQ(rec.invocations(manual), (invocation_counts{.init = 1, .destroy = 1}));
  }
  EXPECT_EQ(rec.invocations(manual), (invocation_counts{.init = 1, .destroy = 1}));
  EXPECT_THAT(rec.events(),
              ElementsAre("init Job " + str(silent) + " trigger 1", "before " + str(silent),
                          "after " + str(silent), "init Job " + str(manual) + " trigger 1",
                          "destroy " + str(manual)));
  rec.sanity_check();
}

TEST(AsyncHook, SecondEmitDestroyThrowsUsageErrorNamingTheResource) {
  static_assert(std::is_base_of_v<std::logic_error, tether::usage_error>);
  hook_recorder rec;
  rec.enable();
  async_resource r("DbQuery");
  r.emit_destroy();
  try {
    r.emit_destroy();
    ADD_FAILURE() << "second emit_destroy() did not throw";
  } catch (const tether::usage_error& e) {
    const std::string what = e.what();
    EXPECT_THAT(what, HasSubstr("emit_destroy()"));
    EXPECT_THAT(what, HasSubstr("twice"));
    EXPECT_THAT(what, HasSubstr("resource " + str(r.id())));
    EXPECT_THAT(what, HasSubstr("\"DbQuery\""));
    EXPECT_THAT(what, HasSubstr("call it once"));
  }
  // The failed call fired nothing.
  EXPECT_EQ(rec.invocations(r.id()), (invocation_counts{.init = 1, .destroy = 1}));
  rec.sanity_check({.complete = true});
}

TEST(AsyncHook, IsMoveOnly) {
  static_assert(!std::is_copy_constructible_v<async_hook>);
  static_assert(!std::is_copy_assignable_v<async_hook>);
  static_assert(std::is_nothrow_move_constructible_v<async_hook>);
  static_assert(std::is_nothrow_move_assignable_v<async_hook>);
  static_assert(std::is_nothrow_default_constructible_v<async_hook>);
  // create_hook is [[nodiscard]] and returns by value.
  static_assert(std::is_same_v<decltype(create_hook({})), async_hook>);
  SUCCEED();
}

TEST(AsyncHook, EnableOnATemporaryReturnsTheEnabledHook) {
  // Node's createHook({...}).enable(), kept: the hook handed back is the one
  // registered, enabled, and delivering each event once.
  static_assert(std::is_same_v<decltype(create_hook({}).enable()), async_hook>);
  static_assert(std::is_same_v<decltype(std::declval<async_hook&>().enable()), async_hook&>);
  std::vector<std::string> log;
  auto hook = logging_hook(log, "h").enable();
  EXPECT_TRUE(hook.enabled());
  std::string id;
  {
    async_resource r("Job");
    id = str(r.id());
    r.run_in_async_scope([] {});
  }
  EXPECT_THAT(log, ElementsAre("h init " + id, "h before " + id, "h after " + id, "h destroy " + id));

  // The handle behaves as any other: disable() stops delivery, destroying it
  // disables it.
  hook.disable();
  log.clear();
  { async_resource r("Job"); }
  EXPECT_THAT(log, IsEmpty());
  hook.enable();
  {
    auto moved = std::move(hook).enable();  // an xvalue takes the && form too
    EXPECT_FALSE(hook.enabled());  // NOLINT(bugprone-use-after-move): documented state
    EXPECT_TRUE(moved.enabled());
  }
  { async_resource r("Job"); }
  EXPECT_THAT(log, IsEmpty());
}

TEST(AsyncHook, EnableOnAnEmptyTemporaryThrows) {
  EXPECT_THROW((void)async_hook{}.enable(), tether::usage_error);
}

TEST(AsyncHook, MovedFromHookIsDisabledAndCannotBeEnabled) {
  std::vector<std::string> log;
  async_hook first = logging_hook(log, "h");
  first.enable();
  async_hook second = std::move(first);
  EXPECT_FALSE(first.enabled());  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_TRUE(second.enabled());

  // The registration moved with it: events still arrive, once.
  {
    async_resource r("Job");
    EXPECT_THAT(log, ElementsAre("h init " + str(r.id())));
  }
  EXPECT_EQ(log.size(), 2u);

  try {
    first.enable();  // NOLINT(bugprone-use-after-move)
    ADD_FAILURE() << "enable() on a moved-from hook did not throw";
  } catch (const tether::usage_error& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("moved-from"));
  }
  EXPECT_EQ(&first.disable(), &first);  // harmless
  EXPECT_FALSE(first.enabled());
  EXPECT_TRUE(second.enabled());

  // A default-constructed hook is in the same state.
  async_hook empty;
  EXPECT_THROW(empty.enable(), tether::usage_error);
}

TEST(AsyncHook, MoveAssignmentDisablesTheOverwrittenHook) {
  std::vector<std::string> log;
  async_hook a = logging_hook(log, "a");
  async_hook b = logging_hook(log, "b");
  a.enable();
  b.enable();
  a = std::move(b);  // a's old registration is disabled; a now is b's
  EXPECT_TRUE(a.enabled());
  EXPECT_FALSE(b.enabled());  // NOLINT(bugprone-use-after-move)

  async_resource r("Job");
  EXPECT_THAT(log, ElementsAre("b init " + str(r.id())));

  // Assigning a moved-from hook disables the target as well.
  a = async_hook{};
  EXPECT_FALSE(a.enabled());
  log.clear();
  r.run_in_async_scope([] {});
  EXPECT_THAT(log, IsEmpty());
}

TEST(AsyncHook, DestroyingTheHookDisablesIt) {
  std::vector<std::string> log;
  {
    async_hook hook = logging_hook(log, "h");
    hook.enable();
    async_resource r("Job");
    EXPECT_EQ(log.size(), 1u);
    log.clear();
    r.emit_destroy();
    EXPECT_EQ(log.size(), 1u);
    log.clear();
  }
  async_resource r("Job");
  r.run_in_async_scope([] {});
  r.emit_destroy();
  EXPECT_THAT(log, IsEmpty());
}

TEST(AsyncHook, HookWithOnlySomeCallbacks) {
  std::vector<std::string> log;
  hook_callbacks cb;
  cb.before = [&](async_id id) { log.push_back("before " + str(id)); };
  cb.destroy = [&](async_id id) { log.push_back("destroy " + str(id)); };
  async_hook partial = create_hook(std::move(cb));
  async_hook none = create_hook({});  // no callbacks at all: enabling is harmless
  none.enable();
  partial.enable();

  async_resource r("Job");
  const std::string id = str(r.id());
  r.run_in_async_scope([] {});
  tether::emit_promise_resolve(r);
  r.emit_destroy();
  EXPECT_THAT(log, ElementsAre("before " + id, "destroy " + id));

  // A hook with every callback, enabled beside it, still sees everything.
  hook_recorder rec;
  rec.enable();
  async_resource s("Job");
  s.run_in_async_scope([] {});
  s.emit_destroy();
  EXPECT_EQ(rec.invocations(s.id()),
            (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));
}

TEST(AsyncHook, InitReceivesTheResourceItself) {
  const tether::resource* seen = nullptr;
  std::string seen_type;
  async_id seen_id = 0;
  async_id seen_trigger = 0;
  hook_callbacks cb;
  cb.init = [&](async_id id, std::string_view type, async_id trigger, tether::resource& r) {
    seen = &r;
    seen_type = std::string(type);
    seen_id = id;
    seen_trigger = trigger;
    // The resource is fully initialised when init runs.
    EXPECT_EQ(r.id(), id);
    EXPECT_EQ(r.trigger_id(), trigger);
    EXPECT_EQ(r.type(), type);
  };
  async_hook hook = create_hook(std::move(cb));
  hook.enable();

  async_resource r("Job", {.trigger_async_id = 77});
  EXPECT_EQ(seen, static_cast<const tether::resource*>(&r));
  EXPECT_EQ(seen_type, "Job");
  EXPECT_EQ(seen_id, r.id());
  EXPECT_EQ(seen_trigger, 77u);

  // ... and it is what execution_async_resource() returns in its callbacks.
  r.run_in_async_scope([&] { EXPECT_EQ(&tether::execution_async_resource(), seen); });
}

TEST(AsyncHook, InitRunsInTheCreatingContext) {
  hook_recorder rec;
  rec.enable();
  async_resource outer("Outer", {.trigger_async_id = 55});
  std::optional<async_resource> inner;
  const tether::resource* resource_in_init = nullptr;
  outer.run_in_async_scope([&] {
    hook_callbacks cb;
    cb.init = [&](async_id, std::string_view, async_id, tether::resource&) {
      resource_in_init = &tether::execution_async_resource();
    };
    async_hook probe = create_hook(std::move(cb));
    probe.enable();
    inner.emplace("Inner");
  });
  inner->run_in_async_scope([] {});
  inner.reset();

  const std::vector<tether::test::event_record> recs = rec.records();
  ASSERT_EQ(recs.size(), 7u);
  // init of Outer: at the top level.
  EXPECT_EQ(recs[0].execution_id, 1u);
  EXPECT_EQ(recs[0].execution_trigger, 0u);
  // before Outer: inside Outer already.
  EXPECT_EQ(recs[1].execution_id, outer.id());
  EXPECT_EQ(recs[1].execution_trigger, 55u);
  // init of Inner: in Outer's callback, the creating context.
  EXPECT_EQ(recs[2].kind, tether::test::event_kind::init);
  EXPECT_EQ(recs[2].trigger, outer.id());
  EXPECT_EQ(recs[2].execution_id, outer.id());
  EXPECT_EQ(recs[2].execution_trigger, 55u);
  EXPECT_EQ(resource_in_init, static_cast<const tether::resource*>(&outer));
  // after Outer: still inside Outer.
  EXPECT_EQ(recs[3].kind, tether::test::event_kind::after);
  EXPECT_EQ(recs[3].execution_id, outer.id());
  // before/after Inner: Inner's own context (trigger Outer).
  EXPECT_EQ(recs[4].execution_id, recs[2].id);
  EXPECT_EQ(recs[4].execution_trigger, outer.id());
  EXPECT_EQ(recs[5].execution_id, recs[2].id);
  // destroy of Inner: the context that destroyed it (the top level).
  EXPECT_EQ(recs[6].kind, tether::test::event_kind::destroy);
  EXPECT_EQ(recs[6].execution_id, 1u);
  EXPECT_EQ(recs[6].execution_trigger, 0u);
  rec.sanity_check();
}

}  // namespace
