// How stacks are walked and named: the frame-pointer walk, the libunwind
// fallback for code built without frame pointers (without_frame_pointers.cpp
// is built so), and readable names (anonymous namespaces, lambdas, inlined
// calls with their own file:line, PIE addresses).
#include <tether/stack_trace.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <tether/async_hooks.hpp>

#include "stack_trace/trace_fixture.hpp"

namespace tether::test {

// without_frame_pointers.cpp
using nofp_callback = void (*)(void* arg);
void nofp_first(nofp_callback f, void* arg);

namespace {

using ::testing::HasSubstr;

/// The functions of `trace`'s first creation hop, user frames only.
std::vector<std::string> creation_functions(const async_trace& trace) {
  const std::vector<async_hop> hops = trace.hops();
  return hops.empty() ? std::vector<std::string>{} : functions(hops.back().frames);
}

std::unique_ptr<async_resource> made;
async_trace seen;

TETHER_NOINLINE void make_resource_here(void*) {
  made = std::make_unique<async_resource>("Walked");
  made->run_in_async_scope([] { seen = async_stack_trace(); });
}

// A frame-pointer function calling into code without frame pointers, which
// calls back into a frame-pointer function that creates the resource.
TETHER_NOINLINE void outer_with_frame_pointer() {
  nofp_first(&make_resource_here, nullptr);
  asm volatile("");
}

/// Index of the first function containing `name` in `fs`, or fs.size().
std::size_t index_of(const std::vector<std::string>& fs, std::string_view name) {
  for (std::size_t i = 0; i < fs.size(); ++i) {
    if (fs[i].find(name) != std::string::npos) {
      return i;
    }
  }
  return fs.size();
}

class WalkMode : public trace_fixture {
 protected:
  void TearDown() override {
    made.reset();
    seen = {};
    trace_fixture::TearDown();
  }
};

TEST_F(WalkMode, AutomaticUsesLibunwindPastCodeWithoutFramePointers) {
  const stack_trace_stats before = get_stack_trace_stats();
  outer_with_frame_pointer();
  const stack_trace_stats after = get_stack_trace_stats();
  EXPECT_GE(after.unwinder_captures - before.unwinder_captures, 1u);
  const std::vector<std::string> fs = creation_functions(seen);
  // Every frame, in order: none of the three without frame pointers is
  // skipped, nor the frame-pointer function below them.
  const std::size_t maker = index_of(fs, "make_resource_here");
  const std::size_t third = index_of(fs, "nofp_third");
  const std::size_t second = index_of(fs, "nofp_second");
  const std::size_t first = index_of(fs, "nofp_first");
  const std::size_t outer = index_of(fs, "outer_with_frame_pointer");
  ASSERT_LT(outer, fs.size()) << to_string(seen);
  EXPECT_LT(maker, third);
  EXPECT_LT(third, second);
  EXPECT_LT(second, first);
  EXPECT_LT(first, outer);
}

TEST_F(WalkMode, FramePointersOnlyStopsAtTheFirstFunctionWithout) {
  stack_trace_options o;
  o.walk = stack_walk::frame_pointers;
  set_stack_trace_options(o);
  const stack_trace_stats before = get_stack_trace_stats();
  outer_with_frame_pointer();
  EXPECT_EQ(get_stack_trace_stats().unwinder_captures, before.unwinder_captures);
  const std::vector<std::string> fs = creation_functions(seen);
  EXPECT_LT(index_of(fs, "make_resource_here"), fs.size()) << to_string(seen);
  EXPECT_LT(index_of(fs, "nofp_third"), fs.size()) << "the frame the walk could not go past";
  // A plain frame-pointer walk would go on from there and print wrong
  // frames (nofp_second and nofp_first missing, the rest shifted): it stops.
  EXPECT_EQ(index_of(fs, "nofp_second"), fs.size()) << to_string(seen);
  EXPECT_EQ(index_of(fs, "outer_with_frame_pointer"), fs.size()) << to_string(seen);
}

TEST_F(WalkMode, LibunwindForEveryStack) {
  stack_trace_options o;
  o.walk = stack_walk::libunwind;
  set_stack_trace_options(o);
  const stack_trace_stats before = get_stack_trace_stats();
  outer_with_frame_pointer();
  const stack_trace_stats after = get_stack_trace_stats();
  EXPECT_EQ(after.unwinder_captures - before.unwinder_captures,
            after.captures - before.captures);
  const std::vector<std::string> fs = creation_functions(seen);
  EXPECT_LT(index_of(fs, "nofp_first"), index_of(fs, "outer_with_frame_pointer")) << to_string(seen);
  EXPECT_LT(index_of(fs, "outer_with_frame_pointer"), fs.size());
}

// Deeper than the frame limit: every frame of the walk is a frame-pointer one,
// so no check fails and libunwind is never asked.
TETHER_NOINLINE void deep_then_make(int n) {
  if (n == 0) {
    make_resource_here(nullptr);
  } else {
    deep_then_make(n - 1);
  }
  asm volatile("");
}

TEST_F(WalkMode, FramePointerStacksNeverNeedLibunwind) {
  const stack_trace_stats before = get_stack_trace_stats();
  deep_then_make(20);
  const stack_trace_stats after = get_stack_trace_stats();
  EXPECT_GE(after.captures - before.captures, 2u);
  EXPECT_EQ(after.unwinder_captures, before.unwinder_captures);
  EXPECT_GE(index_of(creation_functions(seen), "make_resource_here"), 0u);
  EXPECT_LT(index_of(creation_functions(seen), "deep_then_make"), creation_functions(seen).size());
}

// --- names --------------------------------------------------------------------------

class Names : public trace_fixture {};

}  // namespace

namespace {
TETHER_NOINLINE void helper_in_anonymous_namespace() {
  made = std::make_unique<async_resource>("Named");
  made->run_in_async_scope([] { seen = async_stack_trace(); });
}
}  // namespace

namespace {

TEST_F(Names, AnonymousNamespacesAndLambdasAreReadable) {
  helper_in_anonymous_namespace();
  auto lambda = [] { return async_stack_trace(); };
  const async_trace from_lambda = lambda();
  const std::string text = to_string(seen) + to_string(from_lambda);
  EXPECT_THAT(text, HasSubstr("(anonymous namespace)::helper_in_anonymous_namespace()"));
  // A closure is named as the compiler's own demangler names it (GCC numbers
  // lambdas per scope, clang names internal ones $_0, $_1, ...), or, when it
  // was inlined (-O1 and up), from the debug information: "{lambda}".
  EXPECT_THAT(text, ::testing::ContainsRegex(
                        "TestBody[^ ]*::(\\{lambda\\(\\)#1\\}|\\{lambda\\}|\\$_0)::operator\\(\\)"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("<unknown>")));
  made.reset();
  seen = {};
}

[[gnu::always_inline]] inline void inlined_maker() {
  made = std::make_unique<async_resource>("Inlined");
}
TETHER_NOINLINE void calls_inlined_maker() { inlined_maker(); }

TEST_F(Names, InlinedCallsAreFramesWithTheirOwnLine) {
  calls_inlined_maker();
  made->run_in_async_scope([] { seen = async_stack_trace(); });
  const std::vector<async_hop> hops = seen.hops();
  ASSERT_EQ(hops.size(), 1u);
  const stack_frame* inlined = find_frame(hops[0].frames, "inlined_maker");
  const stack_frame* caller = find_frame(hops[0].frames, "calls_inlined_maker");
  ASSERT_NE(inlined, nullptr) << to_string(seen);
  ASSERT_NE(caller, nullptr) << to_string(seen);
  EXPECT_TRUE(inlined->inlined);
  EXPECT_FALSE(caller->inlined);
  EXPECT_EQ(inlined->address, caller->address) << "one return address, two frames";
  EXPECT_THAT(inlined->file, HasSubstr("frame_walk_test.cpp"));
  EXPECT_EQ(caller->line, inlined->line + 2) << "each at its own line";
  made.reset();
  seen = {};
}

TEST_F(Names, FramesNameTheirModule) {
  made = std::make_unique<async_resource>("Here");
  made->run_in_async_scope([] { seen = async_stack_trace(); });
  const std::vector<stack_frame> frames = seen.frames();  // by value: keep it
  const stack_frame* body = find_frame(frames, "TestBody");
  ASSERT_NE(body, nullptr);
  EXPECT_THAT(body->module, HasSubstr("tether_stack_trace_tests"));
  EXPECT_FALSE(body->internal);
  made.reset();
  seen = {};
}

}  // namespace
}  // namespace tether::test
