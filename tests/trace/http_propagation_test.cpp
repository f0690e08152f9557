// Tracing through tether::http: the server extracts the caller's context and
// serves in a SERVER span, fetch() sends its CLIENT span's context, and the
// two meet in one trace across a real loopback connection.
#include <tether/trace.hpp>
#include <tether/trace_exporter.hpp>

#include <gtest/gtest.h>

#include <map>

#include <tether/event_loop.hpp>
#include <tether/http.hpp>
#include <tether/promise.hpp>

namespace {

namespace trace = tether::trace;
namespace http = tether::http;
using tether::promise;

constexpr std::string_view caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

struct seen_request {
  std::string traceparent;
  std::string baggage;
  trace::span_context active;
};

// A server that records what reached it, and what its handler saw as the
// current span, then answers `status`.
http::server recording_server(std::vector<seen_request>& seen, int status = 200) {
  return http::server::listen("127.0.0.1", 0, [&seen, status](http::request& req, http::response& res) -> promise<void> {
    seen.push_back({std::string(req.header("traceparent")), std::string(req.header("baggage")),
                    trace::current().span()});
    res.status(status);
    return res.end("ok");
  });
}

std::string url(const http::server& s, std::string_view path = "/") {
  return "127.0.0.1:" + std::to_string(s.port()) + std::string(path);
}

TEST(HttpPropagation, ServerAndClientSpansJoinTheCallersTrace) {
  auto mem = std::make_shared<trace::memory_exporter>();
  trace::provider p(mem);
  tether::event_loop loop;
  std::vector<seen_request> downstream_seen;
  http::server downstream = recording_server(downstream_seen);
  std::vector<seen_request> front_seen;
  // The middle service: serves /, and calls the downstream service.
  http::server front = http::server::listen("127.0.0.1", 0, [&](http::request& req, http::response& res) -> promise<void> {
    front_seen.push_back({std::string(req.header("traceparent")), {}, trace::current().span()});
    const std::string target = url(downstream, "/stock");
    http::client_response r = co_await http::fetch("GET", target);
    co_await res.end(r.body);
  });
  auto client = [&]() -> promise<void> {
    http::fetch_options o;
    o.headers.set("traceparent", std::string(caller));
    o.headers.set("baggage", "user=alice");
    http::client_response r = co_await http::fetch(url(front, "/orders?id=7"), std::move(o));
    EXPECT_EQ(r.status, 200);
    downstream.close();
    front.close();
  };
  // The test's own fetch runs suppressed: it plays an outside caller.
  promise<void> done = trace::context().with_suppressed().run(client);
  loop.run();
  EXPECT_TRUE(done.is_fulfilled());

  const auto spans = mem->spans();
  ASSERT_EQ(spans.size(), 3u);  // front SERVER, front CLIENT, downstream SERVER
  std::map<trace::span_kind, std::vector<trace::span_data>> by_kind;
  for (const auto& s : spans) {
    by_kind[s.kind].push_back(s);
    EXPECT_EQ(s.context.trace.to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736") << s.name;
  }
  ASSERT_EQ(by_kind[trace::span_kind::server].size(), 2u);
  ASSERT_EQ(by_kind[trace::span_kind::client].size(), 1u);
  const trace::span_data& client_span = by_kind[trace::span_kind::client][0];
  const trace::span_data* front_server = nullptr;
  const trace::span_data* down_server = nullptr;
  for (const auto& s : by_kind[trace::span_kind::server]) {
    (s.parent.to_hex() == "00f067aa0ba902b7" ? front_server : down_server) = &s;
  }
  ASSERT_NE(front_server, nullptr);
  ASSERT_NE(down_server, nullptr);
  EXPECT_TRUE(front_server->parent_remote);
  EXPECT_EQ(client_span.parent, front_server->context.span);   // client under the server span
  EXPECT_EQ(down_server->parent, client_span.context.span);    // downstream under the client span
  EXPECT_EQ(front_server->name, "GET");

  // What went over the wire: exactly the client span's context, baggage kept.
  ASSERT_EQ(downstream_seen.size(), 1u);
  EXPECT_EQ(downstream_seen[0].traceparent, trace::format_traceparent(client_span.context));
  EXPECT_EQ(downstream_seen[0].baggage, "user=alice");
  // Inside the handlers, the current span was their SERVER span.
  EXPECT_EQ(front_seen.at(0).active.span, front_server->context.span);
  EXPECT_EQ(downstream_seen[0].active.span, down_server->context.span);
}

TEST(HttpPropagation, WithoutAProviderTheContextStillFlowsThrough) {
  tether::event_loop loop;
  std::vector<seen_request> seen;
  http::server downstream = recording_server(seen);
  http::server front = http::server::listen("127.0.0.1", 0, [&](http::request&, http::response& res) -> promise<void> {
    const std::string target = url(downstream);
    http::client_response r = co_await http::fetch("GET", target);
    co_await res.end(r.body);
  });
  auto client = [&]() -> promise<void> {
    http::fetch_options o;
    o.headers.set("traceparent", std::string(caller));
    (void)co_await http::fetch(url(front), std::move(o));
    downstream.close();
    front.close();
  };
  promise<void> done = trace::context().with_suppressed().run(client);
  loop.run();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].traceparent, caller);  // passed on unchanged: nothing records
}

TEST(HttpPropagation, ADuplicatedOrMalformedTraceparentStartsANewTrace) {
  auto mem = std::make_shared<trace::memory_exporter>();
  trace::provider p(mem);
  tether::event_loop loop;
  std::vector<seen_request> seen;
  http::server server = recording_server(seen);
  auto client = [&]() -> promise<void> {
    http::fetch_options twice;
    twice.headers.add("traceparent", std::string(caller));
    twice.headers.add("traceparent", std::string(caller));
    (void)co_await http::fetch(url(server), std::move(twice));
    http::fetch_options bad;
    bad.headers.set("traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01");
    (void)co_await http::fetch(url(server), std::move(bad));
    server.close();
  };
  promise<void> done = trace::context().with_suppressed().run(client);
  loop.run();
  const auto spans = mem->spans();
  ASSERT_EQ(spans.size(), 2u);
  for (const auto& s : spans) {
    EXPECT_NE(s.context.trace.to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_FALSE(s.parent.valid());
  }
  EXPECT_NE(spans[0].context.trace, spans[1].context.trace);
}

TEST(HttpPropagation, ServerErrorsMarkTheSpan) {
  auto mem = std::make_shared<trace::memory_exporter>();
  trace::provider p(mem);
  tether::event_loop loop;
  http::server server = http::server::listen("127.0.0.1", 0, [](http::request&, http::response&) -> promise<void> {
    throw std::runtime_error("handler failed");
  });
  auto client = [&]() -> promise<void> {
    http::client_response r = co_await http::fetch("GET", url(server));
    EXPECT_EQ(r.status, 500);
    server.close();
  };
  promise<void> done = client();
  loop.run();
  const auto spans = mem->spans();
  ASSERT_EQ(spans.size(), 2u);  // this test's CLIENT span and the SERVER span
  for (const auto& s : spans) {
    EXPECT_EQ(s.status, trace::status_code::error) << s.name;
    bool has_status = false;
    for (const auto& a : s.attributes) {
      if (a.key == "http.response.status_code") {
        has_status = true;
        EXPECT_EQ(std::get<std::int64_t>(a.value), 500);
      }
    }
    EXPECT_TRUE(has_status);
  }
  EXPECT_EQ(spans[0].context.trace, spans[1].context.trace);
}

}  // namespace
