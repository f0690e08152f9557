// W3C Trace Context: traceparent and tracestate, case by case as the W3C
// test harness (w3c/trace-context test/test.py) checks them.
#include <tether/trace.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using tether::trace::format_traceparent;
using tether::trace::parse_traceparent;
using tether::trace::parse_tracestate;

constexpr std::string_view good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

struct traceparent_case {
  const char* why;
  std::string value;
  bool valid;
};

const std::vector<traceparent_case>& traceparent_cases() {
  static const std::vector<traceparent_case> cases = {
      {"the spec's example", std::string(good), true},
      {"flags 00", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true},
      {"unknown flag bits are kept", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff", true},
      {"leading and trailing OWS", "\t 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 \t", true},
      {"version ff is forbidden", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
      {"version 00 with a trailing field", std::string(good) + "-what", false},
      {"version 00 with a trailing dot", std::string(good) + ".", false},
      {"a future version with more fields", "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future", true},
      {"a future version, exactly 55", "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true},
      {"a future version glued to more", "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01what", false},
      {"uppercase version", "0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
      {"one-digit version", "0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
      {"non-hex version", "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
      {"version .0", ".0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
      {"uppercase trace id", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false},
      {"trace id too short", "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", false},
      {"trace id too long", "00-4bf92f3577b34da6a3ce929d0e0e47366-00f067aa0ba902b7-01", false},
      {"all-zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", false},
      {"non-hex trace id", "00-4bf92f3577b34da6a3ce929d0e0e473.-00f067aa0ba902b7-01", false},
      {"uppercase parent id", "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01", false},
      {"parent id too short", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01", false},
      {"all-zero parent id", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false},
      {"uppercase flags", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A", false},
      {"one-digit flags", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1", false},
      {"flags .0", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-.0", false},
      {"wrong separators", "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01", false},
      {"empty", "", false},
      {"spaces only", "   ", false},
  };
  return cases;
}

TEST(TraceParent, EveryHarnessCase) {
  for (const traceparent_case& c : traceparent_cases()) {
    EXPECT_EQ(parse_traceparent(c.value).has_value(), c.valid) << c.why << ": \"" << c.value << '"';
  }
}

TEST(TraceParent, FieldsAndRoundTrip) {
  const auto c = parse_traceparent(good);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->trace.to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(c->span.to_hex(), "00f067aa0ba902b7");
  EXPECT_EQ(c->flags, 0x01);
  EXPECT_TRUE(c->sampled());
  EXPECT_TRUE(c->remote);
  EXPECT_EQ(format_traceparent(*c), good);
}

TEST(TraceParent, AFutureVersionIsSentBackAsVersion00) {
  const auto c = parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03-extra");
  ASSERT_TRUE(c);
  EXPECT_EQ(format_traceparent(*c), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
}

TEST(TraceIds, RandomIdsAreValidAndDistinct) {
  const auto a = tether::trace::trace_id::random();
  const auto b = tether::trace::trace_id::random();
  EXPECT_TRUE(a.valid());
  EXPECT_NE(a, b);
  const auto s = tether::trace::span_id::random();
  EXPECT_TRUE(s.valid());
  EXPECT_EQ(tether::trace::span_id::from_hex(s.to_hex()), s);
  EXPECT_FALSE(tether::trace::span_id::from_hex("0000000000000000"));
  EXPECT_FALSE(tether::trace::trace_id::from_hex("4BF92F3577B34DA6A3CE929D0E0E4736"));
}

// --- tracestate ---------------------------------------------------------------

std::optional<std::string> ts(std::vector<std::string_view> lines) { return parse_tracestate(lines); }

TEST(TraceState, ValidListsAreNormalised) {
  EXPECT_EQ(ts({"foo=1"}), "foo=1");
  EXPECT_EQ(ts({"foo=1,bar=2"}), "foo=1,bar=2");
  EXPECT_EQ(ts({" foo=1 ,\tbar=2 "}), "foo=1,bar=2");
  EXPECT_EQ(ts({"foo=1,,bar=2,"}), "foo=1,bar=2");  // empty members are skipped
  EXPECT_EQ(ts({"foo=1", "bar=2"}), "foo=1,bar=2");  // field lines combine in order
  EXPECT_EQ(ts({"t@vvvvvvvvvvvvvvv=1"}), "t@vvvvvvvvvvvvvvv=1");
  EXPECT_EQ(ts({"a-b_c*d/e@f=x y"}), "a-b_c*d/e@f=x y");
  EXPECT_EQ(ts({}), "");
}

TEST(TraceState, AnyInvalidMemberDropsTheWholeList) {
  for (std::string_view bad :
       {"foo =1", "FOO=1", "foo.bar=1", "@foo=1", "foo=bar=baz", "foo", "foo=",
        "foo=1,foo=2", "foo=\x01"}) {
    EXPECT_EQ(ts({"ok=1", bad}), std::nullopt) << '"' << bad << '"';
  }
  EXPECT_EQ(ts({std::string(257, 'a') + "=1"}), std::nullopt);
  EXPECT_EQ(ts({std::string(256, 'a') + "=1"}), std::string(256, 'a') + "=1");
  EXPECT_EQ(ts({"foo=" + std::string(257, 'v')}), std::nullopt);
}

TEST(TraceState, ThirtyTwoMembersPassThirtyThreeDropAll) {
  std::string list;
  for (int i = 0; i < 33; ++i) {
    const std::string m = "k" + std::to_string(i) + "=v";
    if (i == 32) {
      EXPECT_TRUE(ts({list})) << "32 members are fine";
    }
    list += (list.empty() ? "" : ",") + m;
  }
  EXPECT_EQ(ts({list}), std::nullopt);
}

TEST(TraceState, OverFiveHundredTwelveCharsLongMembersGoFirstThenFromTheRight) {
  const std::string long_member = "long=" + std::string(200, 'x');  // > 128 chars
  std::string list = "a=" + std::string(100, 'a') + "," + long_member;
  for (int i = 0; i < 6; ++i) {
    list += ",m" + std::to_string(i) + "=" + std::string(100, 'b');
  }
  const auto out = ts({list});
  ASSERT_TRUE(out);
  EXPECT_LE(out->size(), 512u);
  EXPECT_EQ(out->find("long="), std::string::npos);
  EXPECT_EQ(out->rfind("a=", 0), 0u);  // the leftmost member stays
  EXPECT_NE(out->find("m2="), std::string::npos);
  EXPECT_EQ(out->find("m5="), std::string::npos);  // dropped from the right
}

}  // namespace
