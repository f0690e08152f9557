// Work done from inside callbacks: resources created in a hook callback,
// hooks enabled or disabled from a hook callback or a resource callback.
// Node: async-hooks/test-enable-in-init.js, test-disable-in-init.js,
// test-enable-disable.js, test-late-hook-enable.js,
// parallel/test-async-hooks-enable-recursive.js,
// parallel/test-async-hooks-disable-during-promise.js. Tether differs on
// purpose in one point: a resource created inside a hook callback is never
// reported (design.md, "Beyond Node").
#include <tether/async_hooks.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <tether/integration.hpp>

#include "support/hook_recorder.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using tether::async_id;
using tether::async_resource;
using tether::execution_async_id;
using tether::hook_callbacks;
using tether::test::event_kind;
using tether::test::hook_recorder;
using tether::test::sanity_options;

std::string str(async_id id) { return std::to_string(id); }

// --- resources created inside a hook callback ---------------------------------

struct hidden_probe {
  std::unique_ptr<async_resource> hidden;
  async_id exec_when_created = 0;
};

/// Creates a "Hidden" async_resource from inside the `where` callback of a
/// hook the first time it fires for a "Trigger" resource, then lives the
/// hidden resource's whole life later at the top level. No hook, whenever
/// enabled, may see any of its events.
void expect_resource_created_in_hook_is_invisible(event_kind where) {
  async_id trigger_id = 0;  // the Trigger resource's id, once known
  hidden_probe probe;
  const auto create_hidden = [&](async_id id) {
    if (id == trigger_id && probe.hidden == nullptr) {
      probe.exec_when_created = execution_async_id();
      probe.hidden = std::make_unique<async_resource>("Hidden");
      // Running it inside the hook is silent too.
      probe.hidden->run_in_async_scope(
          [&] { EXPECT_EQ(execution_async_id(), probe.hidden->id()); });
    }
  };
  hook_callbacks also;
  switch (where) {
    case event_kind::init:
      also.init = [&](async_id id, std::string_view type, async_id, tether::resource&) {
        if (type == "Trigger") {
          trigger_id = id;
          create_hidden(id);
        }
      };
      break;
    case event_kind::before:
      also.before = create_hidden;
      break;
    case event_kind::after:
      also.after = create_hidden;
      break;
    case event_kind::destroy:
      also.destroy = create_hidden;
      break;
    case event_kind::promise_resolve:
      also.promise_resolve = create_hidden;
      break;
  }
  hook_recorder creator({.also = std::move(also)});
  hook_recorder other;  // a second hook, enabled after the creator
  creator.enable();
  other.enable();

  async_id t = 0;
  {
    async_resource trigger("Trigger");
    t = trigger.id();
    trigger_id = t;
    trigger.run_in_async_scope([] {});
    tether::emit_promise_resolve(trigger);
    trigger.emit_destroy();
  }
  ASSERT_NE(probe.hidden, nullptr) << "the hook callback did not run";

  // A hook enabled later does not see it either.
  hook_recorder later;
  later.enable();

  // The hidden resource is a normal resource otherwise: fresh id, trigger =
  // the context it was created in, and it switches the context when run.
  async_resource& hidden = *probe.hidden;
  const async_id hidden_id = hidden.id();
  EXPECT_GT(hidden.id(), t);
  const bool inside_trigger = where == event_kind::before || where == event_kind::after;
  EXPECT_EQ(probe.exec_when_created, inside_trigger ? t : 1u);
  EXPECT_EQ(hidden.trigger_id(), probe.exec_when_created);
  EXPECT_EQ(hidden.type(), "Hidden");
  std::vector<async_id> seen;
  hidden.run_in_async_scope([&] {
    seen.push_back(execution_async_id());
    // A resource created in its callback, outside any hook, is visible.
    async_resource child("Child");
    seen.push_back(child.trigger_id());
  });
  EXPECT_THAT(seen, ElementsAre(hidden.id(), hidden.id()));
  tether::emit_promise_resolve(hidden);
  hidden.emit_destroy();
  probe.hidden.reset();

  const std::vector<std::string> expected = {"init Trigger " + str(t) + " trigger 1",
                                             "before " + str(t), "after " + str(t),
                                             "promise_resolve " + str(t), "destroy " + str(t)};
  EXPECT_THAT(creator.events_of_type("Trigger"), ::testing::ElementsAreArray(expected));
  EXPECT_THAT(other.events_of_type("Trigger"), ::testing::ElementsAreArray(expected));
  EXPECT_THAT(creator.events_of_type("Hidden"), IsEmpty());
  EXPECT_THAT(other.events_of_type("Hidden"), IsEmpty());
  for (const auto& e : other.records()) {
    EXPECT_NE(e.id, hidden_id) << to_string(e);
  }
  // `later` saw only the visible child (init, destroy) and nothing of Hidden.
  ASSERT_EQ(later.activities().size(), 1u);
  EXPECT_EQ(later.activities()[0].type, "Child");
  EXPECT_EQ(later.activities()[0].trigger, hidden_id);
  EXPECT_EQ(later.invocations(later.activities()[0].id),
            (tether::test::invocation_counts{.init = 1, .destroy = 1}));
  creator.sanity_check({.complete = true});
  other.sanity_check({.complete = true});
}

TEST(HookReentrancy, ResourceCreatedInInitIsInvisible) {
  expect_resource_created_in_hook_is_invisible(event_kind::init);
}

TEST(HookReentrancy, ResourceCreatedInBeforeIsInvisible) {
  expect_resource_created_in_hook_is_invisible(event_kind::before);
}

TEST(HookReentrancy, ResourceCreatedInAfterIsInvisible) {
  expect_resource_created_in_hook_is_invisible(event_kind::after);
}

TEST(HookReentrancy, ResourceCreatedInDestroyIsInvisible) {
  expect_resource_created_in_hook_is_invisible(event_kind::destroy);
}

TEST(HookReentrancy, ResourceCreatedInPromiseResolveIsInvisible) {
  expect_resource_created_in_hook_is_invisible(event_kind::promise_resolve);
}

TEST(HookReentrancy, ResourceInitialisedThroughIntegrationApiInHookIsInvisible) {
  struct op : tether::resource {};
  std::unique_ptr<op> hidden;
  hook_recorder rec(
      {.also = {.init = [&](async_id, std::string_view type, async_id, tether::resource&) {
         if (type == "Trigger") {
           hidden = std::make_unique<op>();
           tether::emit_init(*hidden, "HiddenOp");
         }
       }}});
  rec.enable();
  async_resource trigger("Trigger");
  ASSERT_NE(hidden, nullptr);
  {
    tether::callback_scope scope(*hidden);
    EXPECT_EQ(execution_async_id(), hidden->id());
  }
  tether::emit_destroy(*hidden);
  EXPECT_THAT(rec.events(), ElementsAre("init Trigger " + str(trigger.id()) + " trigger 1"));

  // Initialised again at the top level (a pooled operation), it is visible.
  tether::emit_init(*hidden, "HiddenOp");
  tether::emit_destroy(*hidden);
  EXPECT_THAT(rec.events(), ElementsAre("init Trigger " + str(trigger.id()) + " trigger 1",
                                        "init HiddenOp " + str(hidden->id()) + " trigger 1",
                                        "destroy " + str(hidden->id())));
}

// A resource created *outside* any hook but destroyed from inside a hook
// callback (a hook that drops the last copy of a bound function, or frees an
// object owning an async_resource) must still get its one destroy: every init
// gets exactly one destroy (design.md).
TEST(HookReentrancy, DestroyOfVisibleResourceInsideHookIsDelivered) {
  std::unique_ptr<async_resource> victim;
  hook_recorder rec({.also = {.before = [&](async_id) { victim.reset(); }}});
  rec.enable();
  victim = std::make_unique<async_resource>("Victim");
  const async_id v = victim->id();
  async_resource r("R");
  r.run_in_async_scope([] {});
  EXPECT_EQ(victim, nullptr);
  EXPECT_EQ(rec.invocations(v), (tether::test::invocation_counts{.init = 1, .destroy = 1}));
  rec.sanity_check();
}

// --- enabling a hook from inside a hook callback -------------------------------

TEST(HookReentrancy, HookEnabledInInitMissesThatInit) {
  hook_recorder late;
  hook_recorder enabler({.also = {.init = [&](async_id, std::string_view, async_id,
                                              tether::resource&) { late.enable(); }}});
  enabler.enable();

  async_resource a("Job");
  EXPECT_TRUE(late.enabled());
  EXPECT_THAT(late.events(), IsEmpty());
  a.run_in_async_scope([] {});
  async_resource b("Job");
  const std::string ia = str(a.id());
  const std::string ib = str(b.id());
  EXPECT_THAT(late.events(),
              ElementsAre("before " + ia, "after " + ia, "init Job " + ib + " trigger 1"));
  EXPECT_THAT(enabler.events(), ElementsAre("init Job " + ia + " trigger 1", "before " + ia,
                                            "after " + ia, "init Job " + ib + " trigger 1"));
  late.sanity_check({.allow_no_init = true});
}

TEST(HookReentrancy, HookEnabledInBeforeMissesThatBefore) {
  hook_recorder late;
  hook_recorder enabler({.also = {.before = [&](async_id) { late.enable(); }}});
  enabler.enable();

  async_resource a("Job");
  const std::string ia = str(a.id());
  a.run_in_async_scope([&] { EXPECT_THAT(late.events(), IsEmpty()); });
  a.emit_destroy();
  EXPECT_THAT(late.events(), ElementsAre("after " + ia, "destroy " + ia));
  late.sanity_check({.allow_no_init = true});
}

TEST(HookReentrancy, HookEnabledInAfterMissesThatAfter) {
  hook_recorder late;
  hook_recorder enabler({.also = {.after = [&](async_id) { late.enable(); }}});
  enabler.enable();

  async_resource a("Job");
  const std::string ia = str(a.id());
  a.run_in_async_scope([] {});
  EXPECT_THAT(late.events(), IsEmpty());
  a.emit_destroy();
  EXPECT_THAT(late.events(), ElementsAre("destroy " + ia));
}

TEST(HookReentrancy, HookEnabledInDestroySeesTheNextEvent) {
  hook_recorder late;
  hook_recorder enabler({.also = {.destroy = [&](async_id) { late.enable(); }}});
  enabler.enable();

  async_resource a("Job");
  a.emit_destroy();
  EXPECT_THAT(late.events(), IsEmpty());
  async_resource b("Job");
  EXPECT_THAT(late.events(), ElementsAre("init Job " + str(b.id()) + " trigger 1"));
}

// --- disabling a hook from inside a hook callback ------------------------------

// Node: test-disable-in-init.js. The hook set for an event is fixed when the
// event starts: a hook disabled by an earlier hook still gets this event.
TEST(HookReentrancy, HookDisabledInInitStillReceivesThatInit) {
  hook_recorder victim;
  hook_recorder disabler({.also = {.init = [&](async_id, std::string_view, async_id,
                                               tether::resource&) { victim.disable(); }}});
  disabler.enable();
  victim.enable();  // after the disabler: called after it for each event

  async_resource a("Job");
  EXPECT_FALSE(victim.enabled());
  a.run_in_async_scope([] {});
  async_resource b("Job");
  EXPECT_THAT(victim.events(), ElementsAre("init Job " + str(a.id()) + " trigger 1"));
  EXPECT_EQ(disabler.events().size(), 4u);  // init a, before a, after a, init b
}

TEST(HookReentrancy, HookDisabledInBeforeStillReceivesThatBefore) {
  hook_recorder victim;
  hook_recorder disabler({.also = {.before = [&](async_id) { victim.disable(); }}});
  disabler.enable();
  victim.enable();

  async_resource a("Job");
  const std::string ia = str(a.id());
  a.run_in_async_scope([] {});
  a.emit_destroy();
  EXPECT_THAT(victim.events(), ElementsAre("init Job " + ia + " trigger 1", "before " + ia));
  EXPECT_THAT(disabler.events(), ElementsAre("init Job " + ia + " trigger 1", "before " + ia,
                                             "after " + ia, "destroy " + ia));
}

TEST(HookReentrancy, HookDisablingItselfInInitStillRecordsThatInitOnly) {
  tether::async_hook* self = nullptr;
  hook_recorder rec({.also = {.init = [&](async_id, std::string_view, async_id, tether::resource&) {
                       self->disable();
                     }}});
  self = &rec.hook();
  rec.enable();
  async_resource a("Job");
  a.run_in_async_scope([] {});
  async_resource b("Job");
  EXPECT_THAT(rec.events(), ElementsAre("init Job " + str(a.id()) + " trigger 1"));
}

// Node: test-enable-disable.js. A hook that disables itself inside its own
// `after` misses that resource's destroy.
TEST(HookReentrancy, HookDisablingItselfInAfterMissesDestroy) {
  tether::async_hook* self = nullptr;
  hook_recorder rec({.also = {.after = [&](async_id) { self->disable(); }}});
  self = &rec.hook();
  rec.enable();
  async_resource a("Job");
  const std::string ia = str(a.id());
  a.run_in_async_scope([] {});
  a.emit_destroy();
  EXPECT_THAT(rec.events(),
              ElementsAre("init Job " + ia + " trigger 1", "before " + ia, "after " + ia));
}

// --- enabling or disabling inside a resource's callback (outside any hook) -----

// Node #48 (test-late-hook-enable.js): the running resource's after and
// destroy are delivered, never its init or before.
TEST(HookReentrancy, HookEnabledInsideCallbackSeesAfterAndDestroy) {
  hook_recorder rec;
  auto outer = std::make_unique<async_resource>("Outer");
  auto inner = std::make_unique<async_resource>("Inner");
  const std::string io = str(outer->id());
  const std::string ii = str(inner->id());
  outer->run_in_async_scope([&] {
    inner->run_in_async_scope([&] {
      rec.enable();
      EXPECT_THAT(rec.events(), IsEmpty());
    });
    EXPECT_THAT(rec.events(), ElementsAre("after " + ii));
  });
  inner.reset();
  outer.reset();
  EXPECT_THAT(rec.events(),
              ElementsAre("after " + ii, "after " + io, "destroy " + ii, "destroy " + io));
  rec.sanity_check({.allow_no_init = true});
}

// Node #49 (test-disable-during-promise.js): no after or destroy for the
// running resource.
TEST(HookReentrancy, HookDisabledInsideCallbackMissesAfterAndDestroy) {
  hook_recorder rec;
  rec.enable();
  auto r = std::make_unique<async_resource>("Job");
  const std::string id = str(r->id());
  r->run_in_async_scope([&] {
    rec.disable();
    async_resource created_while_disabled("Job");
  });
  r.reset();
  EXPECT_THAT(rec.events(), ElementsAre("init Job " + id + " trigger 1", "before " + id));
}

}  // namespace
