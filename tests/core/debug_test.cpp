// tether::debug: Node's process._rawDebug. Synchronous, one line on stderr,
// no async resource, safe inside hook callbacks.
#include <tether/debug.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <tether/async_hooks.hpp>

#include "support/hook_recorder.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::internal::CaptureStderr;
using ::testing::internal::GetCapturedStderr;
using tether::async_id;
using tether::test::hook_recorder;

/// What debug(p) should print for a pointer: 0x and lower-case hex digits.
std::string hex(const void* p) {
  char buf[2 + 2 * sizeof(void*) + 1];
  std::snprintf(buf, sizeof buf, "0x%jx",
                static_cast<std::uintmax_t>(reinterpret_cast<std::uintptr_t>(p)));
  return buf;
}

TEST(Debug, WritesArgumentsSeparatedBySpacesAndANewline) {
  CaptureStderr();
  tether::debug("a", 1, -2, true, 'x', 3.5);
  EXPECT_EQ(GetCapturedStderr(), "a 1 -2 true x 3.5\n");
}

TEST(Debug, NoArgumentsWritesAnEmptyLine) {
  CaptureStderr();
  tether::debug();
  EXPECT_EQ(GetCapturedStderr(), "\n");
}

TEST(Debug, WritesEveryKindOfString) {
  const std::string s = "string";
  const std::string_view sv = "view";
  const char* c_string = "c-string";
  char array[] = "array";
  CaptureStderr();
  tether::debug(s, sv, c_string, array, std::string_view{}, 'c');
  EXPECT_EQ(GetCapturedStderr(), "string view c-string array  c\n");
}

TEST(Debug, WritesNumbersExactly) {
  CaptureStderr();
  tether::debug(std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::uint64_t>::max(),
                static_cast<unsigned char>(200), static_cast<signed char>(-5),
                static_cast<short>(-300), 0u, 0.25, 1.5f, -0.0, false);
  EXPECT_EQ(GetCapturedStderr(),
            "-9223372036854775808 18446744073709551615 200 -5 -300 0 0.25 1.5 -0 false\n");
}

TEST(Debug, WritesPointersInHex) {
  int x = 0;
  int* p = &x;
  const int* cp = &x;
  int* null = nullptr;
  const std::string expected = hex(&x) + " " + hex(&x) + " 0x0\n";
  ASSERT_EQ(expected.substr(0, 2), "0x");
  CaptureStderr();
  tether::debug(p, cp, null);
  EXPECT_EQ(GetCapturedStderr(), expected);
}

TEST(Debug, WritesLinesLongerThanItsBuffer) {
  // The line is flushed in 4 KiB pieces; nothing may be lost or repeated.
  const std::string big(10000, 'z');
  CaptureStderr();
  tether::debug("start", big, 42);
  EXPECT_EQ(GetCapturedStderr(), "start " + big + " 42\n");
}

TEST(Debug, CreatesNoResource) {
  hook_recorder rec;
  rec.enable();
  // Ids come to each thread in blocks, so two ids taken one after the other
  // are consecutive unless a block ran out between them (once per 256). If
  // debug() took an id, they would never be: try a few times.
  bool consecutive = false;
  std::vector<std::string> expected;
  for (int attempt = 0; attempt < 3 && !consecutive; ++attempt) {
    tether::async_resource first("Job");
    CaptureStderr();
    tether::debug("no", "resource", first.id());
    const std::string out = GetCapturedStderr();
    tether::async_resource second("Job");
    EXPECT_EQ(out, "no resource " + std::to_string(first.id()) + "\n");
    consecutive = second.id() == first.id() + 1;
    expected.push_back("init Job " + std::to_string(first.id()) + " trigger 1");
    expected.push_back("init Job " + std::to_string(second.id()) + " trigger 1");
    expected.push_back("destroy " + std::to_string(second.id()));
    expected.push_back("destroy " + std::to_string(first.id()));
  }
  EXPECT_TRUE(consecutive) << "debug() allocated an async id";
  // No hook saw anything but the Jobs.
  EXPECT_THAT(rec.events(), ::testing::ElementsAreArray(expected));
  EXPECT_EQ(tether::execution_async_id(), 1u);
}

TEST(Debug, CallableInsideHookCallbacks) {
  hook_recorder rec(
      {.also = {
           .init = [](async_id id, std::string_view type, async_id trigger,
                      tether::resource&) { tether::debug("init", id, type, "trigger", trigger); },
           .before = [](async_id id) { tether::debug("before", id); },
           .after = [](async_id id) { tether::debug("after", id); },
           .destroy = [](async_id id) { tether::debug("destroy", id); }}});
  rec.enable();
  CaptureStderr();
  async_id id = 0;
  {
    tether::async_resource r("Job");
    id = r.id();
    r.run_in_async_scope([] {});
  }
  const std::string out = GetCapturedStderr();
  const std::string i = std::to_string(id);
  EXPECT_EQ(out,
            "init " + i + " Job trigger 1\nbefore " + i + "\nafter " + i + "\ndestroy " + i + "\n");
  EXPECT_THAT(rec.events(), ElementsAre("init Job " + i + " trigger 1", "before " + i, "after " + i,
                                        "destroy " + i));
}

TEST(Debug, NothingIsWrittenToStdout) {
  ::testing::internal::CaptureStdout();
  CaptureStderr();
  tether::debug("only", "stderr");
  EXPECT_EQ(GetCapturedStderr(), "only stderr\n");
  EXPECT_THAT(::testing::internal::GetCapturedStdout(), IsEmpty());
}

}  // namespace
