// async_resource: Node's AsyncResource. Node: test/async-hooks/
// test-embedder.api.async-resource.js, test-embedder.api.async-resource.runInAsyncScope.js,
// parallel/test-async-hooks-run-in-async-scope-caught-exception.js,
// parallel/test-async-hooks-recursive-stack-runInAsyncScope.js,
// parallel/test-asyncresource-bind.js.
#include <tether/async_hooks.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/hook_recorder.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using tether::async_id;
using tether::async_resource;
using tether::execution_async_id;
using tether::execution_async_resource;
using tether::trigger_async_id;
using tether::test::hook_recorder;
using tether::test::invocation_counts;

std::string str(async_id id) { return std::to_string(id); }

const tether::resource* address(const tether::resource& r) { return &r; }

TEST(AsyncResource, TriggerDefaultsToExecutionIdAtConstruction) {
  hook_recorder rec;
  rec.enable();
  async_resource top("Job");
  EXPECT_EQ(top.trigger_id(), 1u);  // the main thread's top level

  std::optional<async_resource> inner;
  top.run_in_async_scope([&] { inner.emplace("Job"); });
  EXPECT_EQ(inner->trigger_id(), top.id());

  EXPECT_THAT(rec.events(),
              ElementsAre("init Job " + str(top.id()) + " trigger 1", "before " + str(top.id()),
                          "init Job " + str(inner->id()) + " trigger " + str(top.id()),
                          "after " + str(top.id())));
}

TEST(AsyncResource, ExplicitTriggerIsHonoured) {
  hook_recorder rec;
  rec.enable();
  async_resource r("Job", {.trigger_async_id = 111});
  EXPECT_EQ(r.trigger_id(), 111u);
  EXPECT_NE(r.id(), 111u);

  // Also inside another resource's scope: the explicit trigger wins.
  async_resource outer("Outer");
  std::optional<async_resource> inner;
  outer.run_in_async_scope(
      [&] { inner.emplace("Job", tether::async_resource_options{.trigger_async_id = 7}); });
  EXPECT_EQ(inner->trigger_id(), 7u);

  EXPECT_THAT(rec.events_of_type("Job"),
              ElementsAre("init Job " + str(r.id()) + " trigger 111",
                          "init Job " + str(inner->id()) + " trigger 7"));
}

TEST(AsyncResource, IdIsFreshAndDiffersFromTrigger) {
  async_resource a("Job");
  async_resource b("Job");
  async_resource c("Job", {.trigger_async_id = a.id()});
  EXPECT_GT(a.id(), 1u);
  EXPECT_NE(a.id(), a.trigger_id());
  EXPECT_GT(b.id(), a.id());
  EXPECT_GT(c.id(), b.id());
  EXPECT_EQ(c.trigger_id(), a.id());
  EXPECT_EQ(a.type(), "Job");
  EXPECT_FALSE(a.destroyed());
}

TEST(AsyncResource, RunInAsyncScopeSwitchesTheExecutionContext) {
  async_resource r("Job", {.trigger_async_id = 111});
  const tether::resource* top = &execution_async_resource();
  int calls = 0;
  r.run_in_async_scope([&] {
    ++calls;
    EXPECT_EQ(execution_async_id(), r.id());
    EXPECT_EQ(trigger_async_id(), 111u);
    EXPECT_EQ(&execution_async_resource(), address(r));
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(execution_async_id(), 1u);
  EXPECT_EQ(trigger_async_id(), 0u);
  EXPECT_EQ(&execution_async_resource(), top);
}

TEST(AsyncResource, RunInAsyncScopeEmitsBeforeAndAfterEachTime) {
  hook_recorder rec;
  rec.enable();
  std::optional<async_resource> r;
  r.emplace("Job");
  const std::string id = str(r->id());
  r->run_in_async_scope([&] {
    // before has fired, after not yet.
    EXPECT_EQ(rec.invocations(r->id()), (invocation_counts{.init = 1, .before = 1}));
  });
  r->run_in_async_scope([] {});
  EXPECT_EQ(rec.invocations(r->id()), (invocation_counts{.init = 1, .before = 2, .after = 2}));
  r.reset();
  EXPECT_THAT(rec.events(),
              ElementsAre("init Job " + id + " trigger 1", "before " + id, "after " + id,
                          "before " + id, "after " + id, "destroy " + id));
  rec.sanity_check({.complete = true});
}

TEST(AsyncResource, RunInAsyncScopeReturnsTheFunctionsValue) {
  async_resource r("Job");
  EXPECT_EQ(r.run_in_async_scope([] { return 1729; }), 1729);

  // Move-only results come out by value.
  std::unique_ptr<int> p = r.run_in_async_scope([] { return std::make_unique<int>(42); });
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 42);

  // References stay references (decltype(auto)).
  int x = 1;
  decltype(auto) ref = r.run_in_async_scope([&x]() -> int& { return x; });
  static_assert(std::is_same_v<decltype(ref), int&>);
  EXPECT_EQ(&ref, &x);
  ref = 5;
  EXPECT_EQ(x, 5);

  const std::string s = "kept";
  decltype(auto) cref = r.run_in_async_scope([&s]() -> const std::string& { return s; });
  static_assert(std::is_same_v<decltype(cref), const std::string&>);
  EXPECT_EQ(&cref, &s);

  static_assert(std::is_void_v<decltype(r.run_in_async_scope([] {}))>);
}

TEST(AsyncResource, RunInAsyncScopeForwardsArguments) {
  async_resource r("Job");
  std::string text = "a";
  auto owned = std::make_unique<int>(3);
  const int result = r.run_in_async_scope(
      [](int n, std::string& out, std::unique_ptr<int> q) {
        out += "b";
        return n + *q;
      },
      4, text, std::move(owned));
  EXPECT_EQ(result, 7);
  EXPECT_EQ(text, "ab");      // lvalue passed by reference
  EXPECT_EQ(owned, nullptr);  // rvalue moved into the function

  // A member function pointer works too (std::invoke).
  struct counter {
    int n = 0;
    int add(int k) { return n += k; }
  } c;
  EXPECT_EQ(r.run_in_async_scope(&counter::add, c, 2), 2);
  EXPECT_EQ(c.n, 2);
}

TEST(AsyncResource, RunInAsyncScopeRestoresOnThrow) {
  hook_recorder rec;
  rec.enable();
  async_resource outer("Outer");
  async_resource inner("Inner", {.trigger_async_id = 99});
  const tether::resource* top = &execution_async_resource();

  outer.run_in_async_scope([&] {
    try {
      inner.run_in_async_scope([]() -> int { throw std::runtime_error("boom"); });
      ADD_FAILURE() << "the exception did not propagate";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "boom");
    }
    // Back in Outer's context.
    EXPECT_EQ(execution_async_id(), outer.id());
    EXPECT_EQ(trigger_async_id(), 1u);
    EXPECT_EQ(&execution_async_resource(), address(outer));
  });

  // A throw straight to the top level restores it too.
  EXPECT_THROW(inner.run_in_async_scope([] { throw std::logic_error("again"); }), std::logic_error);
  EXPECT_EQ(execution_async_id(), 1u);
  EXPECT_EQ(trigger_async_id(), 0u);
  EXPECT_EQ(&execution_async_resource(), top);

  const std::string o = str(outer.id());
  const std::string i = str(inner.id());
  // `after` is emitted for the throwing scope before the exception leaves it.
  EXPECT_THAT(rec.events(), ElementsAre("init Outer " + o + " trigger 1",
                                        "init Inner " + i + " trigger 99",  //
                                        "before " + o, "before " + i, "after " + i, "after " + o,
                                        "before " + i, "after " + i));
  rec.sanity_check();
}

TEST(AsyncResource, NestedScopesRestoreEachLevel) {
  hook_recorder rec;
  rec.enable();
  async_resource a("A");
  async_resource b("B", {.trigger_async_id = a.id()});
  async_resource c("C", {.trigger_async_id = b.id()});
  std::vector<async_id> seen;
  const auto note = [&] {
    seen.push_back(execution_async_id());
    seen.push_back(trigger_async_id());
    seen.push_back(execution_async_resource().id());
  };

  a.run_in_async_scope([&] {
    note();
    b.run_in_async_scope([&] {
      note();
      c.run_in_async_scope(note);
      note();
    });
    note();
  });
  note();

  EXPECT_THAT(seen, ElementsAre(a.id(), 1u, a.id(),      //
                                b.id(), a.id(), b.id(),  //
                                c.id(), b.id(), c.id(),  //
                                b.id(), a.id(), b.id(),  //
                                a.id(), 1u, a.id(),      //
                                1u, 0u, 1u));
  const std::string ia = str(a.id());
  const std::string ib = str(b.id());
  const std::string ic = str(c.id());
  EXPECT_THAT(rec.events(),
              ElementsAre("init A " + ia + " trigger 1", "init B " + ib + " trigger " + ia,
                          "init C " + ic + " trigger " + ib,  //
                          "before " + ia, "before " + ib, "before " + ic, "after " + ic,
                          "after " + ib, "after " + ia));
  rec.sanity_check();
}

// Node: parallel/test-async-hooks-recursive-stack-runInAsyncScope.js.
TEST(AsyncResource, ThousandNestedScopes) {
  constexpr std::size_t depth = 1000;
  hook_recorder rec;
  rec.enable();
  std::vector<std::unique_ptr<async_resource>> resources;
  for (std::size_t i = 0; i < depth; ++i) {
    resources.push_back(std::make_unique<async_resource>("Recursive"));
  }

  std::size_t mismatches = 0;
  std::function<void(std::size_t)> recurse = [&](std::size_t level) {
    if (level == depth) {
      return;
    }
    async_resource& r = *resources[level];
    r.run_in_async_scope([&] {
      if (execution_async_id() != r.id() || trigger_async_id() != 1u) {
        ++mismatches;
      }
      recurse(level + 1);
      // Still this level's context on the way out.
      if (execution_async_id() != r.id() || &execution_async_resource() != address(r)) {
        ++mismatches;
      }
    });
  };
  recurse(0);
  EXPECT_EQ(mismatches, 0u);
  EXPECT_EQ(execution_async_id(), 1u);
  EXPECT_EQ(trigger_async_id(), 0u);

  std::vector<std::string> expected;
  for (const auto& r : resources) {
    expected.push_back("init Recursive " + str(r->id()) + " trigger 1");
  }
  for (const auto& r : resources) {
    expected.push_back("before " + str(r->id()));
  }
  for (auto it = resources.rbegin(); it != resources.rend(); ++it) {
    expected.push_back("after " + str((*it)->id()));
  }
  EXPECT_THAT(rec.events(), ElementsAreArray(expected));
  rec.sanity_check();
}

TEST(AsyncResource, RunInAsyncScopeAfterEmitDestroyThrows) {
  hook_recorder rec;
  rec.enable();
  async_resource r("DbQuery");
  r.emit_destroy();
  bool called = false;
  try {
    r.run_in_async_scope([&] { called = true; });
    ADD_FAILURE() << "run_in_async_scope() after emit_destroy() did not throw";
  } catch (const tether::usage_error& e) {
    const std::string what = e.what();
    EXPECT_THAT(what, HasSubstr("run_in_async_scope()"));
    EXPECT_THAT(what, HasSubstr("resource " + str(r.id())));
    EXPECT_THAT(what, HasSubstr("\"DbQuery\""));
    EXPECT_THAT(what, HasSubstr("after emit_destroy()"));
  }
  EXPECT_FALSE(called);
  EXPECT_EQ(execution_async_id(), 1u);
  // No before/after for the refused call.
  EXPECT_EQ(rec.invocations(r.id()), (invocation_counts{.init = 1, .destroy = 1}));
}

TEST(AsyncResource, EmptyTypeThrows) {
  hook_recorder rec;
  rec.enable();
  try {
    async_resource r("");
    ADD_FAILURE() << "an empty type was accepted";
  } catch (const tether::usage_error& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("empty type"));
  }
  EXPECT_THAT(rec.events(), IsEmpty());
}

TEST(AsyncResource, TypeIsCopiedWhateverItsLength) {
  hook_recorder rec;
  rec.enable();
  std::string exactly_inline(31, 'i');
  std::string first_heap(32, 'h');
  std::string long_type = "a.very.long.resource.type.name.that.does.not.fit.inline";

  async_resource a(exactly_inline);
  async_resource b(first_heap);
  async_resource c(long_type);
  // The resource owns its copy: changing the source changes nothing.
  const std::string original_long = long_type;
  exactly_inline.assign(31, 'x');
  first_heap.assign(32, 'x');
  long_type.assign(long_type.size(), 'x');

  EXPECT_EQ(a.type(), std::string(31, 'i'));
  EXPECT_EQ(b.type(), std::string(32, 'h'));
  EXPECT_EQ(c.type(), original_long);
  EXPECT_THAT(rec.events(),
              ElementsAre("init " + std::string(31, 'i') + " " + str(a.id()) + " trigger 1",
                          "init " + std::string(32, 'h') + " " + str(b.id()) + " trigger 1",
                          "init " + original_long + " " + str(c.id()) + " trigger 1"));
}

TEST(AsyncResource, BindRunsInsideThisResource) {
  hook_recorder rec;
  rec.enable();
  async_resource r("Job", {.trigger_async_id = 33});
  auto bound = r.bind([](int x) {
    EXPECT_EQ(trigger_async_id(), 33u);
    return x * 1000 + static_cast<int>(execution_async_id());
  });
  EXPECT_EQ(bound(2), 2000 + static_cast<int>(r.id()));
  EXPECT_EQ(bound(3), 3000 + static_cast<int>(r.id()));
  EXPECT_EQ(execution_async_id(), 1u);

  const std::string id = str(r.id());
  // No new resource: the bound callable runs in r itself.
  EXPECT_THAT(rec.events(), ElementsAre("init Job " + id + " trigger 33", "before " + id,
                                        "after " + id, "before " + id, "after " + id));
}

TEST(AsyncResource, StaticBindCreatesOneSharedResource) {
  hook_recorder rec;
  rec.enable();
  async_resource outer("Outer");
  std::vector<async_id> run_ids;
  const auto body = [&run_ids](int x) {
    run_ids.push_back(execution_async_id());
    return x + 1;
  };
  using bound_t = decltype(async_resource::bind(body, "Bound"));
  std::optional<bound_t> first;
  // Created inside Outer: init fires now, with Outer as trigger.
  outer.run_in_async_scope([&] { first.emplace(async_resource::bind(body, "Bound")); });
  ASSERT_EQ(rec.activities_of_type("Bound").size(), 1u);
  const async_id id = rec.activities_of_type("Bound")[0].id;
  EXPECT_EQ(rec.activities_of_type("Bound")[0].trigger, outer.id());

  EXPECT_EQ((*first)(1), 2);
  std::optional<bound_t> copy = *first;  // shares the resource
  EXPECT_EQ((*copy)(2), 3);
  const bound_t& as_const = *copy;
  EXPECT_EQ(as_const(3), 4);
  EXPECT_THAT(run_ids, ElementsAre(id, id, id));

  first.reset();
  EXPECT_EQ(rec.invocations(id), (invocation_counts{.init = 1, .before = 3, .after = 3}));
  copy.reset();  // the last copy: destroy now
  EXPECT_EQ(rec.invocations(id),
            (invocation_counts{.init = 1, .before = 3, .after = 3, .destroy = 1}));
  EXPECT_THAT(
      rec.events_of_type("Bound"),
      ElementsAre("init Bound " + str(id) + " trigger " + str(outer.id()), "before " + str(id),
                  "after " + str(id), "before " + str(id), "after " + str(id), "before " + str(id),
                  "after " + str(id), "destroy " + str(id)));

  // Each static bind() makes a new resource.
  auto b1 = async_resource::bind([] {}, "Bound");
  auto b2 = async_resource::bind([] {}, "Bound");
  EXPECT_EQ(rec.activities_of_type("Bound").size(), 3u);
  rec.sanity_check();
}

TEST(AsyncResource, StaticBindConvertsToStdFunction) {
  hook_recorder rec({.types = {"Bound"}});
  rec.enable();
  std::optional<std::function<int(int)>> fn;
  fn.emplace(async_resource::bind(
      [](int x) { return x * 2 + static_cast<int>(execution_async_id()); }, "Bound"));
  ASSERT_EQ(rec.ids().size(), 1u);
  const async_id id = rec.ids()[0];
  EXPECT_EQ((*fn)(20), 40 + static_cast<int>(id));
  std::optional<std::function<int(int)>> copy = *fn;
  EXPECT_EQ((*copy)(1), 2 + static_cast<int>(id));
  fn.reset();
  EXPECT_EQ(rec.invocations(id).destroy, 0);
  copy.reset();
  EXPECT_EQ(rec.invocations(id),
            (invocation_counts{.init = 1, .before = 2, .after = 2, .destroy = 1}));
  rec.sanity_check({.complete = true});
}

}  // namespace
