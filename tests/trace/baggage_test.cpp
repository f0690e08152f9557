// W3C Baggage: the header grammar, percent-encoding and the limits.
#include <tether/trace.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using tether::trace::baggage;

baggage parse(std::vector<std::string_view> lines) { return baggage::parse(lines); }

TEST(Baggage, ParsesMembersValuesAndProperties) {
  const baggage b = parse({"userId=alice, serverNode = DF%2028 ;prop1;prop2=x, isProduction=false"});
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b.get("userId"), "alice");
  EXPECT_EQ(b.get("serverNode"), "DF 28");
  EXPECT_EQ(b.entries()[1].properties, "prop1;prop2=x");
  EXPECT_EQ(b.get("isProduction"), "false");
  EXPECT_EQ(b.get("missing"), std::nullopt);
}

TEST(Baggage, LinesCombineAndALaterKeyWins) {
  const baggage b = parse({"a=1,b=2", "a=3"});
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b.get("a"), "3");
}

TEST(Baggage, MalformedMembersAreDroppedTheRestKept) {
  const baggage b = parse({"good=1, novalue, bad key=2, x=%zz, y=%4, z=a\"b, ok=%E2%9C%93, w=1;bad prop"});
  std::vector<std::string> keys;
  for (const auto& e : b.entries()) {
    keys.push_back(e.key);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"good", "ok"}));
  EXPECT_EQ(b.get("ok"), "\xE2\x9C\x93");  // a check mark, decoded
}

TEST(Baggage, InvalidUtf8DecodesToReplacementCharacters) {
  const baggage b = parse({"k=%FF%41"});
  EXPECT_EQ(b.get("k"), "\xEF\xBF\xBD" "A");
}

TEST(Baggage, FormatPercentEncodesWhatTheGrammarForbids) {
  baggage b;
  b.set("user", "a b,c;d%e\"f\\g");
  b.set("plain", "x!#$&'()*+-./:<=>?@[]^_`{|}~", "p=1");
  EXPECT_EQ(b.format(), "user=a%20b%2Cc%3Bd%25e%22f%5Cg,plain=x!#$&'()*+-./:<=>?@[]^_`{|}~;p=1");
  const std::string formatted = b.format();
  const std::vector<std::string_view> line{formatted};
  EXPECT_EQ(baggage::parse(line), b);  // round trip
}

TEST(Baggage, SetRejectsANonTokenKey) {
  baggage b;
  EXPECT_THROW(b.set("bad key", "v"), std::invalid_argument);
  b.set("k", "1");
  b.set("k", "2");
  EXPECT_EQ(b.size(), 1u);
  EXPECT_TRUE(b.remove("k"));
  EXPECT_FALSE(b.remove("k"));
}

TEST(Baggage, SixtyFourMembersPropagateTheSixtyFifthIsDropped) {
  std::string line;
  for (int i = 0; i < 65; ++i) {
    line += (i == 0 ? "" : ",") + std::string("k") + std::to_string(i) + "=v";
  }
  const baggage b = parse({line});
  EXPECT_EQ(b.size(), 64u);
  EXPECT_EQ(b.get("k64"), std::nullopt);
}

TEST(Baggage, EightKibibytesPropagateWholeMembersOnly) {
  // Two members of 4,000 bytes fit in 8,192; a third does not, and no part
  // of it is sent.
  const std::string v(3996, 'v');
  const baggage b = parse({"a=" + v + ",b=" + v + ",c=" + v});
  EXPECT_EQ(b.size(), 2u);
  EXPECT_LE(b.format().size(), baggage::max_bytes);

  baggage big;
  for (int i = 0; i < 3; ++i) {
    big.set("k" + std::to_string(i), v);
  }
  EXPECT_EQ(big.size(), 3u);  // kept in memory...
  EXPECT_EQ(baggage::parse(std::vector<std::string_view>{big.format()}).size(), 2u);  // ...not sent
}

}  // namespace
