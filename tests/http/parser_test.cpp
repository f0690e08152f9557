// The sans-I/O HTTP core: message_parser (requests and responses), the
// serializer, and server_connection (keep-alive, pipelining, errors), all on
// raw byte strings. The same tables run over real sockets in
// http_bad_input_test.cpp.

#include "http/message_parser.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/serializer.hpp"
#include "http/bad_requests.hpp"
#include "http/server_connection.hpp"

namespace tether::http::detail {
namespace {

using tether::test::accepted_requests;
using tether::test::bad_request;
using tether::test::bad_requests;
using tether::test::cut_off_requests;

using ::testing::ElementsAre;

// --- helpers ----------------------------------------------------------------

/// Everything a parser reported, as text: "head GET / 1.1", "body abc",
/// "end", "error 400 <reason>".
struct parse_log {
  std::vector<message_head> heads;
  std::string body;
  std::vector<std::string> events;
  int error = 0;
};

/// Feeds `pieces` one after another, following every event.
parse_log run_parser(message_parser& p, const std::vector<std::string_view>& pieces) {
  parse_log log;
  for (std::string_view in : pieces) {
    while (!in.empty()) {
      const parse_step s = p.parse(in);
      in.remove_prefix(s.consumed);
      switch (s.event) {
        case parse_event::need_more:
          if (!in.empty()) {  // an upgraded parser takes nothing more
            log.events.push_back("stalled");
            in = {};
          }
          break;
        case parse_event::head:
          log.heads.push_back(p.head());
          log.events.push_back("head");
          break;
        case parse_event::body:
          log.body.append(s.body);
          if (log.events.empty() || log.events.back() != "body") {
            log.events.push_back("body");
          }
          break;
        case parse_event::end:
          log.events.push_back("end");
          break;
        case parse_event::error:
          log.error = p.error_status();
          log.events.push_back("error " + std::to_string(p.error_status()));
          return log;
      }
    }
  }
  return log;
}

parse_log parse_request(std::string_view bytes, parser_limits limits = {}) {
  message_parser p(message_kind::request, limits);
  return run_parser(p, {bytes});
}

parse_log parse_response(std::string_view bytes, bool eof = false) {
  message_parser p(message_kind::response);
  parse_log log = run_parser(p, {bytes});
  if (eof && log.error == 0) {
    const parse_step s = p.finish();
    log.events.push_back(s.event == parse_event::end     ? "end"
                         : s.event == parse_event::error ? "error " + std::to_string(p.error_status())
                                                         : "need_more");
  }
  return log;
}

constexpr std::string_view simple_get = "GET /a?b=1 HTTP/1.1\r\nHost: x\r\n\r\n";

// --- requests ----------------------------------------------------------------

TEST(HttpRequestParser, ParsesASimpleGet) {
  const parse_log log = parse_request(
      "GET /path?q=1 HTTP/1.1\r\nHost: example.com\r\nX-Multi: a\r\nx-multi: b\r\n"
      "X-Trailing: v  \t\r\nX-Empty:\r\nUser-Agent:   curl\r\n\r\n");
  ASSERT_THAT(log.events, ElementsAre("head", "end"));
  const message_head& h = log.heads[0];
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.target, "/path?q=1");
  EXPECT_EQ(h.version_major, 1u);
  EXPECT_EQ(h.version_minor, 1u);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_FALSE(h.upgrade);
  EXPECT_FALSE(h.chunked);
  EXPECT_FALSE(h.content_length);
  ASSERT_EQ(h.fields.size(), 6u);
  EXPECT_EQ(h.fields[0], (header{"Host", "example.com"}));
  EXPECT_EQ(h.fields.get("HOST"), "example.com");
  EXPECT_EQ(h.fields.get("x-MULTI"), "a");
  EXPECT_THAT(h.fields.get_all("X-Multi"), ElementsAre("a", "b"));
  EXPECT_EQ(h.fields.get("x-trailing"), "v");
  EXPECT_EQ(h.fields.get("x-empty"), "");
  EXPECT_EQ(h.fields.get("user-agent"), "curl");
  EXPECT_FALSE(h.fields.get("missing"));
}

TEST(HttpRequestParser, KeepAliveFollowsVersionAndConnection) {
  struct row {
    std::string_view bytes;
    bool keep_alive;
  };
  const row rows[] = {
      {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n", false},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
  };
  for (const row& r : rows) {
    const parse_log log = parse_request(r.bytes);
    ASSERT_THAT(log.events, ElementsAre("head", "end")) << r.bytes;
    EXPECT_EQ(log.heads[0].keep_alive, r.keep_alive) << r.bytes;
  }
}

TEST(HttpRequestParser, ContentLengthBody) {
  const parse_log log =
      parse_request("POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");
  ASSERT_THAT(log.events, ElementsAre("head", "body", "end"));
  EXPECT_EQ(log.heads[0].content_length, 11u);
  EXPECT_EQ(log.body, "hello world");
}

TEST(HttpRequestParser, ChunkedBodyWithExtensionsAndTrailers) {
  const parse_log log = parse_request(
      "POST /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n");
  ASSERT_THAT(log.events, ElementsAre("head", "body", "end"));
  EXPECT_TRUE(log.heads[0].chunked);
  EXPECT_EQ(log.body, "hello world");
}

TEST(HttpRequestParser, ExpectContinueAndUpgradeFlags) {
  parse_log log = parse_request(
      "PUT /f HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_THAT(log.events, ElementsAre("head", "body", "end"));
  EXPECT_TRUE(log.heads[0].expect_continue);

  message_parser p(message_kind::request);
  log = run_parser(p, {"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\n\r\n\x81\x05hello"});
  ASSERT_THAT(log.events, ElementsAre("head", "end", "stalled"));
  EXPECT_TRUE(log.heads[0].upgrade);
  EXPECT_TRUE(p.upgraded());
  EXPECT_EQ(p.parse("more bytes").consumed, 0u);  // another protocol: not ours
}

TEST(HttpRequestParser, PipelinedRequestsComeOutInOrder) {
  const parse_log log = parse_request(
      "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
      "POST /3 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nd\r\n0\r\n\r\n"
      "GET /4 HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_THAT(log.events, ElementsAre("head", "end", "head", "body", "end", "head", "body", "end",
                                      "head", "end"));
  ASSERT_EQ(log.heads.size(), 4u);
  EXPECT_EQ(log.heads[0].target, "/1");
  EXPECT_EQ(log.heads[1].target, "/2");
  EXPECT_EQ(log.heads[2].target, "/3");
  EXPECT_EQ(log.heads[3].target, "/4");
  EXPECT_EQ(log.body, "abcd");
}

// A valid request split in two at every byte boundary (and byte by byte)
// parses exactly like the whole buffer.
TEST(HttpRequestParser, SplitAtEveryByteBoundary) {
  const std::string_view requests[] = {
      "POST /upload?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Long-Header-Name: some value\r\n"
      "Content-Length: 10\r\n\r\n0123456789",
      "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4;e=1\r\nWiki\r\n5\r\npedia\r\n0\r\nT: 1\r\n\r\n"
      "GET /next HTTP/1.1\r\nHost: x\r\n\r\n",
  };
  for (const std::string_view whole : requests) {
    const parse_log expected = parse_request(whole);
    ASSERT_EQ(expected.error, 0);
    for (std::size_t cut = 0; cut <= whole.size(); ++cut) {
      message_parser p(message_kind::request);
      const parse_log got = run_parser(p, {whole.substr(0, cut), whole.substr(cut)});
      ASSERT_EQ(got.events, expected.events) << "cut at " << cut;
      EXPECT_EQ(got.body, expected.body) << "cut at " << cut;
      ASSERT_EQ(got.heads.size(), expected.heads.size());
      for (std::size_t i = 0; i < got.heads.size(); ++i) {
        EXPECT_EQ(got.heads[i].target, expected.heads[i].target) << "cut at " << cut;
        EXPECT_EQ(got.heads[i].fields, expected.heads[i].fields) << "cut at " << cut;
      }
    }
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < whole.size(); ++i) {
      bytes.push_back(whole.substr(i, 1));
    }
    message_parser p(message_kind::request);
    const parse_log got = run_parser(p, bytes);
    EXPECT_EQ(got.body, expected.body);
    EXPECT_EQ(got.heads.back().fields, expected.heads.back().fields);
  }
}

/// The parser's verdict for a row: 0 where server_connection decides (a
/// CONNECT without a handler is a well-formed request).
int parser_status(const bad_request& r) { return r.status == 405 ? 0 : r.status; }

TEST(HttpRequestParser, BadRequestsGetTheirStatus) {
  for (const bad_request& r : bad_requests()) {
    message_parser p(message_kind::request);
    const parse_log log = run_parser(p, {r.bytes});
    EXPECT_EQ(log.error, parser_status(r)) << r.name << ": " << p.error_reason();
    if (std::getenv("TETHER_HTTP_SHOW_REASONS") != nullptr) {
      std::printf("%-28s %d %s\n", std::string(r.name).c_str(), log.error,
                  std::string(p.error_reason()).c_str());
    }
  }
  // The error is sticky.
  message_parser p(message_kind::request);
  EXPECT_EQ(p.parse("BAD\x01 / HTTP/1.1\r\n").event, parse_event::error);
  EXPECT_EQ(p.parse(simple_get).event, parse_event::error);
  EXPECT_EQ(p.error_status(), 400);
  EXPECT_EQ(p.error_reason(), "HPE_INVALID_METHOD");
  EXPECT_EQ(p.error_detail(), "Invalid method encountered");
}

/// The status a request parser ends with for `pieces` (0: no error).
int verdict(const std::vector<std::string_view>& pieces, parser_limits limits = {}) {
  message_parser p(message_kind::request, limits);
  return run_parser(p, pieces).error;
}

/// Where to cut `bytes` in two: everywhere when short, else every 61st
/// byte and around every 1 KiB and 16 KiB boundary.
std::vector<std::size_t> cuts_of(std::string_view bytes) {
  std::vector<std::size_t> cuts;
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    const std::size_t k = cut % 1024;
    if (bytes.size() <= 400 || cut % 61 == 0 || k <= 2 || k >= 1022 || cut == bytes.size()) {
      cuts.push_back(cut);
    }
  }
  return cuts;
}

// The verdict never depends on how the bytes were split into reads.
TEST(HttpRequestParser, BadRequestsSameVerdictWhereverSplit) {
  for (const bad_request& r : bad_requests()) {
    const int whole = verdict({r.bytes});
    ASSERT_EQ(whole, parser_status(r)) << r.name;
    for (const std::size_t cut : cuts_of(r.bytes)) {
      const std::string_view b = r.bytes;
      ASSERT_EQ(verdict({b.substr(0, cut), b.substr(cut)}), whole) << r.name << ", cut at " << cut;
    }
  }
}

// Unusual requests Node accepts parse whole, wherever they are split.
TEST(HttpRequestParser, AcceptedRequestsParseWhereverSplit) {
  for (const bad_request& r : accepted_requests()) {
    message_parser p(message_kind::request);
    const parse_log whole = run_parser(p, {r.bytes});
    ASSERT_EQ(whole.error, 0) << r.name << ": " << p.error_reason() << " " << p.error_detail();
    ASSERT_FALSE(whole.events.empty()) << r.name;
    EXPECT_EQ(whole.events.back(), "end") << r.name;
    for (const std::size_t cut : cuts_of(r.bytes)) {
      const std::string_view b = r.bytes;
      message_parser q(message_kind::request);
      const parse_log split = run_parser(q, {b.substr(0, cut), b.substr(cut)});
      ASSERT_EQ(split.events, whole.events) << r.name << ", cut at " << cut;
      ASSERT_EQ(split.body, whole.body) << r.name << ", cut at " << cut;
    }
  }
  // Debian's llhttp 8.1.0 alone would refuse the second extension after a
  // token value (message_parser works around it): the body is intact.
  const parse_log log = parse_request(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;a=b;c=d;e\r\nhello\r\n6;x=y;z\r\n world\r\n0\r\n\r\n");
  EXPECT_THAT(log.events, ElementsAre("head", "body", "end"));
  EXPECT_EQ(log.body, "hello world");
}

// A message that ends with the bytes given (no body, or a body that ends
// there) is reported complete: the head or body event holds back its last
// byte, and parsing that byte reports the end.
TEST(HttpRequestParser, EndOfAMessageThatEndsWithTheData) {
  message_parser p(message_kind::request);
  const std::string_view get = simple_get;
  parse_step s = p.parse(get);
  EXPECT_EQ(s.event, parse_event::head);
  EXPECT_EQ(s.consumed, get.size() - 1);
  EXPECT_EQ(p.held_back(), 1u);
  s = p.parse(get.substr(s.consumed));
  EXPECT_EQ(s.event, parse_event::end);
  EXPECT_EQ(s.consumed, 1u);
  EXPECT_EQ(p.held_back(), 0u);
  EXPECT_FALSE(p.in_message());

  const std::string_view post = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
  message_parser q(message_kind::request);
  s = q.parse(post);
  ASSERT_EQ(s.event, parse_event::head);
  EXPECT_EQ(q.held_back(), 0u);  // more bytes follow the head: nothing held
  std::string_view rest = post.substr(s.consumed);
  s = q.parse(rest);
  ASSERT_EQ(s.event, parse_event::body);
  EXPECT_EQ(s.body, "abc");  // the whole piece, although its last byte is held back
  EXPECT_EQ(s.consumed, 2u);
  s = q.parse(rest.substr(2));
  EXPECT_EQ(s.event, parse_event::end);
  // finish() right after a held-back event still sees the end.
  message_parser r(message_kind::request);
  ASSERT_EQ(r.parse(get).event, parse_event::head);
  EXPECT_EQ(r.finish().event, parse_event::end);
}

TEST(HttpRequestParser, HeaderLimitCountsTheWholeHead) {
  parser_limits limits;
  limits.max_header_size = 64;
  const std::string line = "GET / HTTP/1.1\r\nHost: x\r\nX: ";
  // line + value + "\r\n\r\n" == 64 bytes exactly: accepted; one more: 431.
  const std::string at_limit = line + std::string(64 - line.size() - 4, 'v') + "\r\n\r\n";
  ASSERT_EQ(at_limit.size(), 64u);
  EXPECT_THAT(parse_request(at_limit, limits).events, ElementsAre("head", "end"));
  const std::string over = line + std::string(64 - line.size() - 3, 'v') + "\r\n\r\n";
  EXPECT_EQ(parse_request(over, limits).error, 431);
  // The limit is per message: two heads of 64 bytes pass.
  EXPECT_THAT(parse_request(at_limit + at_limit, limits).events,
              ElementsAre("head", "end", "head", "end"));
  // And the body does not count.
  const std::string post = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n";
  EXPECT_EQ(parse_request(post + std::string(100, 'b'), limits).error, 0);
}

TEST(HttpRequestParser, BodyLimit) {
  parser_limits limits;
  limits.max_body_size = 10;
  EXPECT_EQ(parse_request("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789",
                          limits).error,
            0);
  // Content-Length over the limit: refused at the head, before any body.
  parse_log log = parse_request("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", limits);
  EXPECT_THAT(log.events, ElementsAre("error 413"));
  // Chunked: a chunk that would pass the limit is refused at its size line.
  log = parse_request("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "6\r\nabcdef\r\n5\r\n",
                      limits);
  EXPECT_THAT(log.events, ElementsAre("head", "body", "error 413"));
  EXPECT_EQ(log.body, "abcdef");
  log = parse_request("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "ffffffff\r\n",
                      limits);
  EXPECT_THAT(log.events, ElementsAre("head", "error 413"));
}

// A chunked body of exactly max_body_size is accepted; one byte more is a
// 413 at the size line of the chunk that would pass the limit.
TEST(HttpRequestParser, ChunkedBodyAtTheLimit) {
  parser_limits limits;
  limits.max_body_size = 10;
  const std::string head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  parse_log log = parse_request(head + "4\r\nabcd\r\n6\r\nefghij\r\n0\r\n\r\n", limits);
  EXPECT_THAT(log.events, ElementsAre("head", "body", "end"));
  EXPECT_EQ(log.body, "abcdefghij");
  log = parse_request(head + "4\r\nabcd\r\n7\r\nefghijk\r\n0\r\n\r\n", limits);
  EXPECT_THAT(log.events, ElementsAre("head", "body", "error 413"));
  EXPECT_EQ(log.body, "abcd");
  // The limit is per message.
  const std::string ten = head + "a\r\n0123456789\r\n0\r\n\r\n";
  EXPECT_THAT(parse_request(ten + ten, limits).events,
              ElementsAre("head", "body", "end", "head", "body", "end"));
}

// The trailer section counts under max_header_size, like a head (its final
// CRLF included), and separately from the head.
TEST(HttpRequestParser, TrailerSectionLimit) {
  parser_limits limits;
  limits.max_header_size = 64;
  const std::string head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string field = "X-Trailer: ";
  // field + value + "\r\n" + "\r\n" == 64 bytes: accepted; one more: 431.
  const std::string at_limit = field + std::string(64 - field.size() - 4, 't') + "\r\n\r\n";
  ASSERT_EQ(at_limit.size(), 64u);
  message_parser p(message_kind::request, limits);
  EXPECT_THAT(run_parser(p, {head + "1\r\nx\r\n0\r\n" + at_limit}).events,
              ElementsAre("head", "body", "end"));
  const std::string over = field + std::string(64 - field.size() - 3, 't') + "\r\n\r\n";
  message_parser q(message_kind::request, limits);
  const parse_log log = run_parser(q, {head + "1\r\nx\r\n0\r\n" + over});
  EXPECT_THAT(log.events, ElementsAre("head", "body", "error 431"));
  EXPECT_EQ(q.error_reason(), "HPE_HEADER_OVERFLOW");
  // A trailer section that never ends: 431 once it passes the limit.
  message_parser r(message_kind::request, limits);
  EXPECT_EQ(run_parser(r, {head + "0\r\nX: ", std::string(100, 'v')}).error, 431);
}

// Chunk extensions (names and values) count per message against
// max_chunk_extensions_size: at the limit accepted, one byte over 413.
TEST(HttpRequestParser, ChunkExtensionLimit) {
  parser_limits limits;
  limits.max_chunk_extensions_size = 16;
  const std::string head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  // 4 + 4 bytes in the first chunk ("name", "vvvv"), 8 in the second: 16.
  const std::string at_limit = head + "1;name=vvvv\r\na\r\n1;abcdefgh\r\nb\r\n0\r\n\r\n";
  EXPECT_THAT(parse_request(at_limit, limits).events, ElementsAre("head", "body", "end"));
  const std::string over = head + "1;name=vvvv\r\na\r\n1;abcdefghi\r\nb\r\n0\r\n\r\n";
  message_parser p(message_kind::request, limits);
  EXPECT_THAT(run_parser(p, {over}).events, ElementsAre("head", "body", "error 413"));
  EXPECT_EQ(p.error_reason(), "HPE_CHUNK_EXTENSIONS_OVERFLOW");
  // Per message: the next message starts from zero.
  EXPECT_THAT(parse_request(at_limit + at_limit, limits).events,
              ElementsAre("head", "body", "end", "head", "body", "end"));
  // The last chunk's extensions count too.
  EXPECT_EQ(parse_request(head + "1;abcdefgh\r\na\r\n0;abcdefghi\r\n\r\n", limits).error, 413);
  // Extension bytes past the limit, then a bad byte in the same extension:
  // 413 however the bytes were split (the bytes before the bad one count).
  const std::string bad = head + "1;" + std::string(20, 'e') + "\x01\r\nx\r\n0\r\n\r\n";
  for (const std::size_t cut : cuts_of(bad)) {
    const std::string_view b = bad;
    EXPECT_EQ(verdict({b.substr(0, cut), b.substr(cut)}, limits), 413) << "cut at " << cut;
  }
  // ... and a bad byte before the limit is reached: 400.
  const std::string early = head + "1;" + std::string(10, 'e') + "\x01" + std::string(20, 'e') +
                            "\r\nx\r\n0\r\n\r\n";
  for (const std::size_t cut : cuts_of(early)) {
    const std::string_view b = early;
    EXPECT_EQ(verdict({b.substr(0, cut), b.substr(cut)}, limits), 400) << "cut at " << cut;
  }
}

// A half-close ends a request parser cleanly between messages only.
TEST(HttpRequestParser, FinishMidMessageIsAnError) {
  message_parser p(message_kind::request);
  EXPECT_EQ(p.finish().event, parse_event::need_more);
  ASSERT_THAT(run_parser(p, {std::string(simple_get) + "\r\n"}).events, ElementsAre("head", "end"));
  EXPECT_EQ(p.finish().event, parse_event::need_more);
  for (const auto& r : cut_off_requests()) {
    message_parser q(message_kind::request);
    const parse_log log = run_parser(q, {r.bytes});
    ASSERT_EQ(log.error, 0) << r.name;
    EXPECT_EQ(q.finish().event, parse_event::error) << r.name;
    EXPECT_EQ(q.error_status(), 400) << r.name;
    EXPECT_EQ(q.error_reason(), "HPE_INVALID_EOF_STATE") << r.name;
  }
}

// --- responses ---------------------------------------------------------------

TEST(HttpResponseParser, LengthChunkedAndCloseDelimitedBodies) {
  parse_log log = parse_response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\n\r\nhello");
  ASSERT_THAT(log.events, ElementsAre("head", "body", "end"));
  EXPECT_EQ(log.heads[0].status, 200);
  EXPECT_EQ(log.heads[0].reason, "OK");
  EXPECT_TRUE(log.heads[0].keep_alive);
  EXPECT_EQ(log.body, "hello");

  log = parse_response(
      "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  ASSERT_THAT(log.events, ElementsAre("head", "body", "end"));
  EXPECT_EQ(log.heads[0].status, 404);
  EXPECT_EQ(log.body, "abc");

  log = parse_response("HTTP/1.0 200 OK\r\n\r\nuntil the end", true);
  ASSERT_THAT(log.events, ElementsAre("head", "body", "end"));
  EXPECT_FALSE(log.heads[0].keep_alive);
  EXPECT_EQ(log.body, "until the end");

  // Cut short: an error at EOF.
  log = parse_response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", true);
  EXPECT_THAT(log.events, ElementsAre("head", "body", "error 400"));
}

TEST(HttpResponseParser, NoBodyForHeadAnd204AndInterim) {
  message_parser p(message_kind::response);
  p.expect_no_body(true);
  parse_log log = run_parser(p, {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"});
  EXPECT_THAT(log.events, ElementsAre("head", "end"));

  log = parse_response("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n");
  EXPECT_THAT(log.events, ElementsAre("head", "end", "head", "end"));

  log = parse_response("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n"
                       "\r\nok");
  ASSERT_THAT(log.events, ElementsAre("head", "end", "head", "body", "end"));
  EXPECT_EQ(log.heads[0].status, 100);
  EXPECT_EQ(log.heads[1].status, 201);
}

TEST(HttpResponseParser, SplitAtEveryByteBoundary) {
  const std::string_view whole =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n"
      "a\r\n0123456789\r\n3\r\nabc\r\n0\r\n\r\n";
  for (std::size_t cut = 0; cut <= whole.size(); ++cut) {
    message_parser p(message_kind::response);
    const parse_log got = run_parser(p, {whole.substr(0, cut), whole.substr(cut)});
    ASSERT_THAT(got.events, ElementsAre("head", "body", "end")) << "cut at " << cut;
    EXPECT_EQ(got.body, "0123456789abc");
    EXPECT_EQ(got.heads[0].fields.get("x-a"), "b");
  }
}

TEST(HttpResponseParser, BadResponses) {
  EXPECT_EQ(parse_response("HTTP/1.1 2x0 OK\r\n\r\n").error, 400);
  EXPECT_EQ(parse_response("SMTP ready\r\n").error, 400);
  EXPECT_EQ(parse_response("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
                .error,
            400);
}

// --- serializer -----------------------------------------------------------------

TEST(HttpSerializer, LinesFieldsChunksAndDates) {
  std::string out;
  append_status_line(out, 404);
  append_status_line(out, 299, "Custom");
  append_field(out, "X", "y");
  append_field(out, "Content-Length", std::uint64_t{42});
  append_chunk(out, "");
  append_chunk(out, std::string(26, 'z'));
  EXPECT_EQ(out, "HTTP/1.1 404 Not Found\r\nHTTP/1.1 299 Custom\r\nX: y\r\nContent-Length: 42\r\n"
                 "1a\r\n" + std::string(26, 'z') + "\r\n");
  EXPECT_EQ(format_http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(http_date_now().size(), 29u);
  EXPECT_EQ(status_text(431), "Request Header Fields Too Large");
  EXPECT_EQ(status_text(299), "Unknown");

  EXPECT_TRUE(valid_header_name("X-Request-Id"));
  EXPECT_FALSE(valid_header_name("X Y"));
  EXPECT_FALSE(valid_header_name(""));
  EXPECT_FALSE(valid_header_name("X:"));
  EXPECT_TRUE(valid_header_value("a b\tc"));
  EXPECT_FALSE(valid_header_value("a\r\nSet-Cookie: x"));
  EXPECT_FALSE(valid_target("/a b"));
  EXPECT_TRUE(valid_target("/a?b=c"));
}

TEST(HttpSerializer, RequestHeads) {
  headers h{{"Accept", "*/*"}};
  EXPECT_EQ(serialize_request_head("GET", "/x", "localhost:8080", h, 0),
            "GET /x HTTP/1.1\r\nHost: localhost:8080\r\nAccept: */*\r\n\r\n");
  EXPECT_EQ(serialize_request_head("POST", "/x", "h", {}, 3),
            "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n");
  EXPECT_EQ(serialize_request_head("POST", "/x", "h", {}, 0),
            "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(serialize_request_head("PUT", "/x", "h", {{"Host", "other"}}, -1),
            "PUT /x HTTP/1.1\r\nHost: other\r\nTransfer-Encoding: chunked\r\n\r\n");
}

// --- server_connection -------------------------------------------------------

constexpr std::string_view test_date = "Thu, 01 Jan 1970 00:00:00 GMT";

server_limits test_limits() {
  server_limits l;
  l.date = [] { return test_date; };
  return l;
}

/// Records what the connection announces; optionally answers at once.
struct recorder final : server_observer {
  std::vector<std::string> events;
  std::vector<message_head> heads;
  std::string body;
  server_connection* conn = nullptr;
  bool answer_at_once = false;

  void on_request(request_id id, message_head& head) override {
    events.push_back("request " + std::to_string(id) + " " + head.method + " " + head.target);
    heads.push_back(head);
    if (answer_at_once) {
      respond(id, 200, head.target);
    }
  }
  void on_request_body(request_id id, std::string_view data) override {
    events.push_back("body " + std::to_string(id) + " " + std::string(data));
    body.append(data);
  }
  void on_request_end(request_id id) override { events.push_back("end " + std::to_string(id)); }
  void on_request_error(request_id id, int status) override {
    events.push_back("error " + std::to_string(id) + " " + std::to_string(status));
  }
  void on_upgrade(request_id id, message_head& head, std::string_view rest) override {
    events.push_back("upgrade " + std::to_string(id) + " " + head.method + " " + head.target);
    heads.push_back(head);
    upgrade_rest = std::string(rest);
  }
  std::string upgrade_rest;

  void respond(request_id id, int status, std::string_view body_text) const {
    response_start r;
    r.status = status;
    r.content_length = body_text.size();
    ASSERT_TRUE(conn->start(id, r));
    ASSERT_TRUE(conn->write(id, body_text));
    ASSERT_TRUE(conn->end(id));
  }
};

struct connection_fixture : ::testing::Test {
  recorder rec;
  server_connection conn{rec, test_limits()};
  connection_fixture() { rec.conn = &conn; }

  static std::string ok(std::string_view body, bool keep_alive = true) {
    std::string s = "HTTP/1.1 200 OK\r\nDate: ";
    s += test_date;
    s += keep_alive ? "\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
                    : "\r\nConnection: close\r\n";
    s += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    s += body;
    return s;
  }
};

using HttpServerConnection = connection_fixture;

TEST_F(HttpServerConnection, AnswersAndKeepsAlive) {
  conn.feed(simple_get);
  EXPECT_THAT(rec.events, ElementsAre("request 0 GET /a?b=1", "end 0"));
  EXPECT_FALSE(conn.has_output());
  EXPECT_FALSE(conn.idle());
  rec.respond(0, 200, "hello");
  EXPECT_EQ(conn.take_output(), ok("hello"));
  EXPECT_FALSE(conn.done());
  EXPECT_TRUE(conn.idle());
  EXPECT_TRUE(conn.wants_read());

  conn.feed("GET /second HTTP/1.1\r\nHost: x\r\n\r\n");
  rec.respond(1, 200, "again");
  EXPECT_EQ(conn.take_output(), ok("again"));
  EXPECT_FALSE(conn.done());
}

TEST_F(HttpServerConnection, ChunkedResponseWhenTheLengthIsUnknown) {
  conn.feed(simple_get);
  headers h{{"Content-Type", "text/plain"}};
  response_start r;
  r.status = 201;
  r.fields = &h;
  ASSERT_TRUE(conn.start(0, r));
  ASSERT_TRUE(conn.write(0, "hello "));
  ASSERT_TRUE(conn.write(0, ""));  // an empty write must not end the body
  ASSERT_TRUE(conn.write(0, "world"));
  ASSERT_TRUE(conn.end(0));
  EXPECT_EQ(conn.take_output(),
            "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nDate: " + std::string(test_date) +
                "\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
                "Transfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n");
  EXPECT_FALSE(conn.done());
  EXPECT_FALSE(conn.write(0, "late"));  // ended
}

TEST_F(HttpServerConnection, Http10WithoutLengthClosesAfterTheBody) {
  conn.feed("GET / HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(conn.start(0, response_start{}));
  ASSERT_TRUE(conn.write(0, "raw"));
  ASSERT_TRUE(conn.end(0));
  EXPECT_EQ(conn.take_output(), "HTTP/1.1 200 OK\r\nDate: " + std::string(test_date) +
                                    "\r\nConnection: close\r\n\r\nraw");
  EXPECT_TRUE(conn.done());
}

TEST_F(HttpServerConnection, Http10KeepAliveWithLength) {
  conn.feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  rec.respond(0, 200, "x");
  EXPECT_EQ(conn.take_output(), ok("x"));
  EXPECT_FALSE(conn.done());
}

TEST_F(HttpServerConnection, ConnectionCloseRequest) {
  conn.feed("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /ignored HTTP/1.1\r\n\r\n");
  EXPECT_THAT(rec.events, ElementsAre("request 0 GET /", "end 0"));
  EXPECT_FALSE(conn.wants_read());
  EXPECT_FALSE(conn.done());  // the response is still due
  rec.respond(0, 200, "bye");
  EXPECT_EQ(conn.take_output(), ok("bye", false));
  EXPECT_TRUE(conn.done());
}

TEST_F(HttpServerConnection, HandlerSaysClose) {
  conn.feed(simple_get);
  headers h{{"Connection", "close"}};
  response_start r;
  r.fields = &h;
  r.content_length = 0;
  ASSERT_TRUE(conn.start(0, r));
  ASSERT_TRUE(conn.end(0));
  EXPECT_EQ(conn.take_output(), "HTTP/1.1 200 OK\r\nDate: " + std::string(test_date) +
                                    "\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(conn.done());
}

TEST_F(HttpServerConnection, HeadAnd204CarryNoBody) {
  conn.feed("HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /204 HTTP/1.1\r\nHost: x\r\n\r\n");
  response_start r;
  r.content_length = 5;
  ASSERT_TRUE(conn.start(0, r));
  ASSERT_TRUE(conn.write(0, "hello"));
  ASSERT_TRUE(conn.end(0));
  rec.respond(1, 204, "");
  EXPECT_EQ(conn.take_output(),
            ok("hello").substr(0, ok("hello").size() - 5) + "HTTP/1.1 204 No Content\r\nDate: " +
                std::string(test_date) + "\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n");
}

TEST_F(HttpServerConnection, PipelinedResponsesGoOutInRequestOrder) {
  conn.feed(
      "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(rec.events, ElementsAre("request 0 GET /1", "end 0", "request 1 GET /2", "end 1",
                                      "request 2 GET /3", "end 2"));
  rec.respond(2, 200, "three");
  EXPECT_FALSE(conn.has_output());
  // A chunked response held back keeps its bytes until it is at the front.
  ASSERT_TRUE(conn.start(1, response_start{}));
  ASSERT_TRUE(conn.write(1, "two"));
  EXPECT_FALSE(conn.has_output());
  rec.respond(0, 200, "one");
  const std::string chunked_head = "HTTP/1.1 200 OK\r\nDate: " + std::string(test_date) +
                                   "\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
                                   "Transfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(conn.take_output(), ok("one") + chunked_head + "3\r\ntwo\r\n");
  ASSERT_TRUE(conn.write(1, "!"));  // now at the front: straight out
  EXPECT_EQ(conn.take_output(), "1\r\n!\r\n");
  ASSERT_TRUE(conn.end(1));
  EXPECT_EQ(conn.take_output(), "0\r\n\r\n" + ok("three"));
  EXPECT_TRUE(conn.idle());
}

TEST_F(HttpServerConnection, ImmediateAnswersInsideFeed) {
  rec.answer_at_once = true;
  conn.feed("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(conn.take_output(), ok("/1") + ok("/2"));
}

TEST_F(HttpServerConnection, BackpressureHoldsPipelinedRequests) {
  server_limits l = test_limits();
  l.max_pipelined = 2;
  server_connection c(rec, l);
  rec.conn = &c;
  std::string five;
  for (int i = 1; i <= 5; ++i) {
    five += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  c.feed(five.substr(0, 40));
  c.feed(five.substr(40));
  EXPECT_EQ(c.in_flight(), 2u);
  EXPECT_FALSE(c.wants_read());
  EXPECT_FALSE(c.can_resume());
  rec.respond(0, 200, "a");
  EXPECT_TRUE(c.can_resume());
  c.resume();
  EXPECT_EQ(c.in_flight(), 2u);
  rec.respond(1, 200, "b");
  rec.respond(2, 200, "c");
  c.resume();
  rec.respond(3, 200, "d");
  rec.respond(4, 200, "e");
  EXPECT_FALSE(c.can_resume());
  c.resume();
  EXPECT_TRUE(c.wants_read());
  EXPECT_EQ(c.take_output(), ok("a") + ok("b") + ok("c") + ok("d") + ok("e"));
  EXPECT_EQ(rec.heads.size(), 5u);
}

TEST_F(HttpServerConnection, BadRequestBetweenRequestsComesAfterEarlierResponses) {
  conn.feed("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost x\r\n\r\n");
  EXPECT_THAT(rec.events, ElementsAre("request 0 GET /1", "end 0"));
  EXPECT_EQ(conn.error_status(), 400);
  EXPECT_FALSE(conn.has_output());  // the 400 waits for /1
  EXPECT_FALSE(conn.done());
  rec.respond(0, 200, "one");
  EXPECT_EQ(conn.take_output(),
            ok("one") + "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(conn.done());
}

TEST_F(HttpServerConnection, EveryBadRequestAnswersWithItsStatusAndCloses) {
  for (const bad_request& r : bad_requests()) {
    recorder rec2;
    server_connection c(rec2, test_limits());
    rec2.conn = &c;
    c.feed(r.bytes);
    const std::string status_line = "HTTP/1.1 " + std::to_string(r.status) + " ";
    const std::string out = c.take_output();
    if (rec2.heads.empty()) {
      EXPECT_EQ(out.substr(0, status_line.size()), status_line) << r.name;
      EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos) << r.name;
      EXPECT_TRUE(c.done()) << r.name;
    } else {
      // The head was fine, the body was not: the request owns the error.
      EXPECT_THAT(rec2.events.back(), ::testing::StartsWith("error 0 ")) << r.name;
      EXPECT_EQ(out.substr(0, status_line.size()), status_line) << r.name;
      EXPECT_TRUE(c.done()) << r.name;
    }
  }
}

TEST_F(HttpServerConnection, BodyOverTheLimitAnswers413) {
  server_limits l = test_limits();
  l.parser.max_body_size = 4;
  server_connection c(rec, l);
  rec.conn = &c;
  c.feed("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\n");
  EXPECT_THAT(rec.events, ElementsAre("request 0 POST /", "body 0 abc", "error 0 413"));
  EXPECT_EQ(c.take_output(),
            "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(c.done());
  EXPECT_FALSE(c.start(0, response_start{}));  // the handler's answer has nowhere to go
}

TEST_F(HttpServerConnection, BodyErrorAfterTheResponseStartedJustCloses) {
  conn.feed("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_TRUE(conn.start(0, response_start{}));
  conn.feed("zz\r\n");
  EXPECT_THAT(rec.events, ElementsAre("request 0 POST /", "error 0 400"));
  EXPECT_TRUE(conn.write(0, "partial"));
  EXPECT_TRUE(conn.end(0));
  const std::string out = conn.take_output();
  EXPECT_NE(out.find("Connection: keep-alive"), std::string::npos);  // decided before the error
  EXPECT_TRUE(conn.done());
}

TEST_F(HttpServerConnection, ExpectContinue) {
  conn.feed("PUT /f HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  EXPECT_THAT(rec.events, ElementsAre("request 0 PUT /f"));
  conn.write_continue(0);
  conn.write_continue(0);  // once
  EXPECT_EQ(conn.take_output(), "HTTP/1.1 100 Continue\r\n\r\n");
  conn.feed("data");
  EXPECT_THAT(rec.events, ElementsAre("request 0 PUT /f", "body 0 data", "end 0"));
  rec.respond(0, 200, "ok");
  EXPECT_EQ(conn.take_output(), ok("ok"));
}

TEST_F(HttpServerConnection, AnswerWithoutReadingTheBodyDiscardsIt) {
  conn.feed("POST /1 HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nab");
  rec.respond(0, 200, "early");
  EXPECT_EQ(conn.take_output(), ok("early"));
  conn.feed("cdefGET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(rec.events, ElementsAre("request 0 POST /1", "body 0 ab", "body 0 cdef", "end 0",
                                      "request 1 GET /2", "end 1"));
}

TEST_F(HttpServerConnection, AnswerBeforeAnExpectedBodyCloses) {
  conn.feed("PUT /f HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  rec.respond(0, 200, "no");
  EXPECT_EQ(conn.take_output(), ok("no", false));
  EXPECT_TRUE(conn.done());
}

TEST_F(HttpServerConnection, HeadersTimeout) {
  conn.headers_timeout();  // nothing arriving: nothing to do
  EXPECT_FALSE(conn.done());
  conn.feed("GET / HTTP/1.1\r\nHost: x\r\n");
  EXPECT_TRUE(conn.receiving_head());
  conn.headers_timeout();
  EXPECT_EQ(conn.take_output(),
            "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(conn.done());
}

// A request cut off by the client's half-close gets a 400, as in Node:
// mid-body it is that request's answer (its handler's body() fails) ...
TEST_F(HttpServerConnection, HalfCloseMidBodyAnswers400) {
  conn.feed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  conn.feed_eof();
  EXPECT_THAT(rec.events, ElementsAre("request 0 POST /", "body 0 abc", "error 0 400"));
  EXPECT_EQ(conn.take_output(),
            "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(conn.done());
  EXPECT_FALSE(conn.start(0, response_start{}));  // answered already
  EXPECT_EQ(conn.error_reason(), "HPE_INVALID_EOF_STATE");
}

// ... and once its response has started, the connection closes after it.
TEST_F(HttpServerConnection, HalfCloseMidBodyAfterTheResponseStartedCloses) {
  conn.feed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  ASSERT_TRUE(conn.start(0, response_start{}));
  conn.feed_eof();
  EXPECT_THAT(rec.events, ElementsAre("request 0 POST /", "body 0 abc", "error 0 400"));
  EXPECT_FALSE(conn.done());
  ASSERT_TRUE(conn.end(0));
  EXPECT_NE(conn.take_output().find("\r\n\r\n0\r\n\r\n"), std::string::npos);
  EXPECT_TRUE(conn.done());
}

// Mid-head: a 400 after the responses before it.
TEST_F(HttpServerConnection, HalfCloseMidHeadAnswers400AfterEarlierResponses) {
  conn.feed("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHo");
  conn.feed_eof();
  EXPECT_THAT(rec.events, ElementsAre("request 0 GET /1", "end 0"));
  EXPECT_FALSE(conn.has_output());
  EXPECT_FALSE(conn.done());
  rec.respond(0, 200, "one");
  EXPECT_EQ(conn.take_output(),
            ok("one") + "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(conn.done());
}

// Between requests (or after empty lines) a half-close is no error: the
// requests received whole are answered, the last one with Connection: close.
TEST_F(HttpServerConnection, HalfCloseBetweenRequestsIsClean) {
  conn.feed("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n\r\n");
  conn.feed_eof();
  EXPECT_THAT(rec.events, ElementsAre("request 0 GET /1", "end 0"));
  EXPECT_EQ(conn.error_status(), 0);
  rec.respond(0, 200, "one");
  EXPECT_EQ(conn.take_output(), ok("one", false));
  EXPECT_TRUE(conn.done());
}

TEST_F(HttpServerConnection, EofAfterPipelinedRequestsStillAnswersThem) {
  server_limits l = test_limits();
  l.max_pipelined = 1;
  server_connection c(rec, l);
  rec.conn = &c;
  c.feed("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
  c.feed_eof();
  EXPECT_FALSE(c.done());
  rec.respond(0, 200, "1");
  c.resume();
  rec.respond(1, 200, "2");
  EXPECT_TRUE(c.done());
  EXPECT_EQ(c.take_output(), ok("1") + ok("2", false));
}

TEST_F(HttpServerConnection, AbortCutsTheResponseAndCloses) {
  conn.feed(simple_get);
  ASSERT_TRUE(conn.start(0, response_start{}));
  ASSERT_TRUE(conn.write(0, "part"));
  ASSERT_TRUE(conn.abort(0));
  const std::string out = conn.take_output();
  EXPECT_TRUE(out.ends_with("4\r\npart\r\n")) << out;  // no last chunk
  EXPECT_TRUE(conn.done());
  EXPECT_FALSE(conn.abort(0));
}

TEST_F(HttpServerConnection, ShutdownFinishesInFlightRequests) {
  conn.feed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab");
  conn.shutdown();
  EXPECT_FALSE(conn.done());
  conn.feed("cdGET /never HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(rec.events, ElementsAre("request 0 POST /", "body 0 ab", "body 0 cd", "end 0"));
  rec.respond(0, 200, "bye");
  EXPECT_EQ(conn.take_output(), ok("bye", false));
  EXPECT_TRUE(conn.done());

  recorder idle_rec;
  server_connection idle(idle_rec, test_limits());
  idle.shutdown();
  EXPECT_TRUE(idle.done());
}

TEST_F(HttpServerConnection, CutOffRequestsAnswer400) {
  for (const auto& r : cut_off_requests()) {
    recorder rec2;
    server_connection c(rec2, test_limits());
    rec2.conn = &c;
    c.feed(r.bytes);
    EXPECT_FALSE(c.has_output()) << r.name;
    c.feed_eof();
    const std::string out = c.take_output();
    EXPECT_EQ(out.substr(0, 13), "HTTP/1.1 400 ") << r.name;
    EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos) << r.name;
    EXPECT_TRUE(c.done()) << r.name;
    EXPECT_EQ(c.error_status(), 400) << r.name;
  }
}

TEST_F(HttpServerConnection, AcceptedRequestsAreAnswered) {
  for (const bad_request& r : accepted_requests()) {
    recorder rec2;
    rec2.answer_at_once = true;
    server_connection c(rec2, test_limits());
    rec2.conn = &c;
    c.feed(r.bytes);
    EXPECT_EQ(c.error_status(), 0) << r.name << ": " << c.error_reason();
    EXPECT_EQ(c.take_output().substr(0, 13), "HTTP/1.1 200 ") << r.name;
  }
}

// --- CONNECT and Upgrade ------------------------------------------------------

constexpr std::string_view connect_head =
    "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n";

server_limits with_handlers(bool upgrade, bool connect) {
  server_limits l = test_limits();
  l.upgrade_handler = upgrade;
  l.connect_handler = connect;
  return l;
}

// Without a handler CONNECT is never answered 2xx (that would open a
// tunnel): 405, close, and the bytes after it are not parsed as HTTP.
TEST_F(HttpServerConnection, ConnectWithoutAHandlerAnswers405) {
  conn.feed(std::string(connect_head) + "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(rec.events, ElementsAre());
  EXPECT_EQ(conn.take_output(),
            "HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(conn.done());
  EXPECT_FALSE(conn.wants_read());
}

// With a handler the head and the bytes past it go to on_upgrade, whatever
// the split, and HTTP ends.
TEST_F(HttpServerConnection, ConnectHandlerGetsTheHeadAndTheBytesPastIt) {
  const std::string tunnel = "\x16\x03\x01 client hello";
  const std::string whole = std::string(connect_head) + tunnel;
  for (std::size_t cut = 0; cut <= whole.size(); ++cut) {
    recorder r;
    server_connection c(r, with_handlers(false, true));
    r.conn = &c;
    c.feed(whole.substr(0, cut));
    const bool head_in_first = cut >= connect_head.size();
    if (head_in_first) {
      ASSERT_THAT(r.events, ElementsAre("upgrade 0 CONNECT example.com:443")) << "cut at " << cut;
      EXPECT_EQ(r.upgrade_rest, whole.substr(connect_head.size(), cut - connect_head.size()))
          << "cut at " << cut;  // not the head's last byte, even when held back
    }
    c.feed(whole.substr(cut));  // after on_upgrade: not HTTP's any more, ignored
    ASSERT_THAT(r.events, ElementsAre("upgrade 0 CONNECT example.com:443")) << "cut at " << cut;
    if (!head_in_first) {
      EXPECT_EQ(r.upgrade_rest, tunnel) << "cut at " << cut;
    }
    EXPECT_EQ(r.heads[0].fields.get("host"), "example.com:443");
    EXPECT_TRUE(r.heads[0].upgrade);
    EXPECT_TRUE(c.done());
    EXPECT_FALSE(c.wants_read());
    EXPECT_FALSE(c.has_output());
    EXPECT_FALSE(c.can_resume());
  }
}

TEST_F(HttpServerConnection, UpgradeHandlerGetsTheHeadAndTheBytesPastIt) {
  server_connection c(rec, with_handlers(true, false));
  rec.conn = &c;
  // A body announced by the upgrade request is the new protocol's (Node's
  // parser is told there is none).
  c.feed("GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Content-Length: 3\r\n\r\nabc\x81\x05hello");
  EXPECT_THAT(rec.events, ElementsAre("upgrade 0 GET /chat"));
  EXPECT_EQ(rec.upgrade_rest, "abc\x81\x05hello");
  EXPECT_EQ(rec.heads[0].fields.get("upgrade"), "websocket");
  EXPECT_TRUE(c.done());
  // The connect handler alone does not take upgrades, nor the upgrade
  // handler CONNECT.
  recorder r2;
  server_connection c2(r2, with_handlers(false, true));
  r2.conn = &c2;
  r2.answer_at_once = true;
  c2.feed("GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
  EXPECT_THAT(r2.events, ElementsAre("request 0 GET /chat"));  // answered, closing: no end
  recorder r3;
  server_connection c3(r3, with_handlers(true, false));
  c3.feed(connect_head);
  EXPECT_THAT(r3.events, ElementsAre());
  EXPECT_EQ(c3.take_output().substr(0, 13), "HTTP/1.1 405 ");
}

// Without a handler an Upgrade request is an ordinary request (Node 20); its
// response closes the connection, and what follows it is not parsed.
TEST_F(HttpServerConnection, UpgradeWithoutAHandlerIsAnOrdinaryRequest) {
  conn.feed("GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
            "\x81\x05hello");
  EXPECT_THAT(rec.events, ElementsAre("request 0 GET /chat", "end 0"));
  EXPECT_FALSE(conn.wants_read());
  rec.respond(0, 200, "plain");
  EXPECT_EQ(conn.take_output(), ok("plain", false));
  EXPECT_TRUE(conn.done());
  // "Upgrade" without "Connection: upgrade" is no upgrade at all.
  recorder r2;
  server_connection c2(r2, with_handlers(true, true));
  r2.conn = &c2;
  r2.answer_at_once = true;
  c2.feed("GET /1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(r2.events, ElementsAre("request 0 GET /1", "end 0", "request 1 GET /2", "end 1"));
  EXPECT_EQ(c2.take_output(), ok("/1") + ok("/2"));
}

// An upgrade pipelined behind unanswered requests waits for their
// responses: on_upgrade comes from resume() once they are all in the
// output, with the bytes that arrived meanwhile appended to `rest`.
TEST_F(HttpServerConnection, UpgradeWaitsForTheResponsesBeforeIt) {
  server_connection c(rec, with_handlers(false, true));
  rec.conn = &c;
  c.feed("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n" + std::string(connect_head) + "early");
  EXPECT_THAT(rec.events, ElementsAre("request 0 GET /1", "end 0"));
  EXPECT_FALSE(c.wants_read());
  EXPECT_FALSE(c.can_resume());
  EXPECT_FALSE(c.done());
  c.feed(" and later");  // an I/O side that read once more
  rec.respond(0, 200, "one");
  EXPECT_TRUE(c.can_resume());
  EXPECT_THAT(rec.events, ElementsAre("request 0 GET /1", "end 0"));  // not from inside end()
  c.resume();
  EXPECT_THAT(rec.events, ElementsAre("request 0 GET /1", "end 0", "upgrade 1 CONNECT example.com:443"));
  EXPECT_EQ(rec.upgrade_rest, "early and later");
  EXPECT_EQ(c.take_output(), ok("one"));  // the connection goes on, as a tunnel
  EXPECT_TRUE(c.done());
  EXPECT_FALSE(c.can_resume());
}

// ... and never comes if an earlier response closes the connection.
TEST_F(HttpServerConnection, UpgradeDroppedWhenAnEarlierResponseCloses) {
  server_connection c(rec, with_handlers(false, true));
  rec.conn = &c;
  c.feed("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n" + std::string(connect_head));
  headers h{{"Connection", "close"}};
  response_start r;
  r.fields = &h;
  r.content_length = 0;
  ASSERT_TRUE(c.start(0, r));
  ASSERT_TRUE(c.end(0));
  EXPECT_FALSE(c.can_resume());
  EXPECT_TRUE(c.done());
  EXPECT_THAT(rec.events, ElementsAre("request 0 GET /1", "end 0"));
}

// --- limits and timeouts ------------------------------------------------------

// Node's maxRequestsPerSocket: the Nth response says Connection: close (and
// every keep-alive response announces max=N); what follows is not read.
TEST_F(HttpServerConnection, MaxRequestsPerSocket) {
  server_limits l = test_limits();
  l.max_requests_per_socket = 2;
  server_connection c(rec, l);
  rec.conn = &c;
  rec.answer_at_once = true;
  c.feed("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
         "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
  // (request 1 is answered inside on_request and closes: no end event)
  EXPECT_THAT(rec.events, ElementsAre("request 0 GET /1", "end 0", "request 1 GET /2"));
  std::string first = ok("/1");
  first.replace(first.find("timeout=5"), 9, "timeout=5, max=2");
  EXPECT_EQ(c.take_output(), first + ok("/2", false));
  EXPECT_TRUE(c.done());
  // 0: no limit.
  recorder r2;
  r2.answer_at_once = true;
  server_connection c2(r2, test_limits());
  r2.conn = &c2;
  for (int i = 0; i < 100; ++i) {
    c2.feed(simple_get);
  }
  EXPECT_EQ(c2.in_flight(), 0u);
  EXPECT_EQ(r2.heads.size(), 100u);
  EXPECT_FALSE(c2.done());
}

TEST_F(HttpServerConnection, RequestTimeout) {
  const std::string timeout_408 =
      "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  // Nothing arriving: nothing to do (an idle keep-alive connection, or a
  // request received whole whose handler takes its time).
  conn.request_timeout();
  EXPECT_FALSE(conn.done());
  conn.feed(simple_get);
  EXPECT_FALSE(conn.receiving_request());
  conn.request_timeout();
  EXPECT_FALSE(conn.done());
  EXPECT_FALSE(conn.has_output());
  rec.respond(0, 200, "slow");
  EXPECT_EQ(conn.take_output(), ok("slow"));

  // Mid-head: a 408 after the responses before it.
  conn.feed("GET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\n");
  EXPECT_TRUE(conn.receiving_request());
  conn.request_timeout();
  EXPECT_FALSE(conn.receiving_request());
  rec.respond(1, 200, "two");
  EXPECT_EQ(conn.take_output(), ok("two") + timeout_408);
  EXPECT_TRUE(conn.done());

  // Mid-body: the 408 is that request's answer.
  recorder r2;
  server_connection c2(r2, test_limits());
  r2.conn = &c2;
  c2.feed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_TRUE(c2.receiving_request());
  c2.request_timeout();
  EXPECT_THAT(r2.events, ElementsAre("request 0 POST /", "body 0 abc", "error 0 408"));
  EXPECT_EQ(c2.take_output(), timeout_408);
  EXPECT_TRUE(c2.done());

  // Mid-body with the response begun: it closes after that response.
  recorder r3;
  server_connection c3(r3, test_limits());
  r3.conn = &c3;
  c3.feed("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  ASSERT_TRUE(c3.start(0, response_start{}));
  c3.request_timeout();
  EXPECT_THAT(r3.events, ElementsAre("request 0 POST /", "body 0 abc", "error 0 408"));
  EXPECT_FALSE(c3.done());
  ASSERT_TRUE(c3.end(0));
  EXPECT_EQ(c3.take_output().find("408"), std::string::npos);
  EXPECT_TRUE(c3.done());
}

TEST_F(HttpServerConnection, ChunkedBodyAtTheLimit) {
  server_limits l = test_limits();
  l.parser.max_body_size = 10;
  server_connection c(rec, l);
  rec.conn = &c;
  c.feed("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
         "4\r\nabcd\r\n6\r\nefghij\r\n0\r\n\r\n");
  EXPECT_EQ(rec.events.back(), "end 0");
  EXPECT_EQ(rec.body, "abcdefghij");
  rec.respond(0, 200, "ok");
  c.feed("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
         "4\r\nabcd\r\n7\r\nefghijk\r\n0\r\n\r\n");
  EXPECT_EQ(rec.events.back(), "error 1 413");
  EXPECT_EQ(c.take_output(), ok("ok") + "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n"
                                        "Content-Length: 0\r\n\r\n");
  EXPECT_TRUE(c.done());
}

// The connection splits like the parser: a pipelined pair cut at every byte
// announces the same requests and bodies.
TEST(HttpServerConnectionSplit, EveryByteBoundary) {
  const std::string_view whole =
      "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n";
  for (std::size_t cut = 0; cut <= whole.size(); ++cut) {
    recorder rec;
    server_connection c(rec, test_limits());
    rec.conn = &c;
    c.feed(whole.substr(0, cut));
    c.feed(whole.substr(cut));
    EXPECT_EQ(rec.body, "Wikipedia") << "cut at " << cut;
    ASSERT_EQ(rec.heads.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(rec.heads[1].target, "/next");
    EXPECT_EQ(rec.events.back(), "end 1");
  }
}

}  // namespace
}  // namespace tether::http::detail
