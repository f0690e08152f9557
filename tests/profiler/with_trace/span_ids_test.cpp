// The profiler linked with tether::trace: each callback slice carries the
// trace id and span id active when it began (src/profiler/span_source.hpp),
// and every output shows them. Built as its own program (tether_profiler_trace_tests):
// the other profiler tests link no trace layer.
#include <tether/profiler.hpp>
#include <tether/trace.hpp>
#include <tether/trace_exporter.hpp>

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <tether/async_hooks.hpp>
#include <tether/event_loop.hpp>
#include <tether/http.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>

#include "../profiler_test_support.hpp"
#include "profiler/analysis/outputs.hpp"
#include "profiler/analysis/profile_model.hpp"
#include "profiler/recorder.hpp"

namespace tether::profiler::test {
namespace {

namespace http = tether::http;

using format::kind;

/// The before events of resources of type `type`, in order.
std::vector<analysis::trace_event> befores_of(const collected_trace& t, std::string_view type) {
  std::set<std::uint64_t> ids;
  std::vector<analysis::trace_event> out;
  for (const auto& e : t.events) {
    if (e.kind == kind::init && t.type_of(e) == type) ids.insert(e.id);
    if (e.kind == kind::before && ids.count(e.id) != 0) out.push_back(e);
  }
  return out;
}

std::string ids_of(const analysis::span_ref& s) {
  return s.empty() ? std::string("(none)") : s.trace_hex() + "/" + s.span_hex();
}

std::string ids_of(const trace::span_context& c) { return c.trace.to_hex() + "/" + c.span.to_hex(); }

std::string url(const http::server& s) { return "127.0.0.1:" + std::to_string(s.port()) + "/"; }

std::string traceparent(std::string_view trace_hex) {
  return "00-" + std::string(trace_hex) + "-00f067aa0ba902b7-01";
}

struct served {
  std::vector<trace::span_data> server_spans;  // from the exporter
  std::map<std::string, trace::span_context> seen_by_handler;  // request path -> trace::current()
};

// A server whose handler, for each request, creates a probe resource of type
// "PROBE" + path (so in the SERVER span's context), waits for every request
// of the batch to arrive (so their continuations interleave on the loop),
// then for a timer, then runs the probe and answers.
served serve_batch(const std::filesystem::path& trace_file, const std::vector<std::string>& trace_ids) {
  served out;
  auto mem = std::make_shared<trace::memory_exporter>();
  trace::provider provider(mem);
  event_loop loop;
  std::vector<resolver<void>> waiting;
  std::size_t answered = 0;
  http::server server = http::server::listen("127.0.0.1", 0, [&](http::request& req, http::response& res) -> promise<void> {
    const std::string path(req.path());
    out.seen_by_handler[path] = trace::current().span();
    async_resource probe("PROBE" + path.substr(1));
    auto [arrived, r] = make_promise<void>();
    waiting.push_back(r);
    if (waiting.size() == trace_ids.size()) {
      for (auto& w : waiting) w.resolve();
    }
    co_await arrived;
    co_await delay(std::chrono::milliseconds(1));
    probe.run_in_async_scope([] {});
    co_await res.end("ok");
    if (++answered == trace_ids.size()) server.close();
  });
  profiler::start({.path = trace_file.string()});
  // The test's own requests run suppressed: they play outside callers.
  const trace::context outside = trace::context().with_suppressed();
  // The closure outlives every call (its captures are not in the frames).
  const auto call = [&](std::size_t i) -> promise<void> {
    http::fetch_options o;
    o.headers.set("traceparent", traceparent(trace_ids[i]));
    http::client_response r = co_await http::fetch(url(server) + std::to_string(i), std::move(o));
    EXPECT_EQ(r.status, 200);
  };
  std::vector<promise<void>> calls;
  for (std::size_t i = 0; i < trace_ids.size(); ++i) {
    calls.push_back(outside.run([&call, i] { return call(i); }));
  }
  loop.run();
  profiler::stop();
  for (auto& c : calls) EXPECT_TRUE(c.is_fulfilled());
  for (auto& s : mem->spans()) {
    if (s.kind == trace::span_kind::server) out.server_spans.push_back(s);
  }
  return out;
}

// The handler's continuations (the probe it created, run after two awaits)
// run under its SERVER span: their slices carry exactly that span's ids.
TEST(ProfilerTraceSpans, AServerHandlersCallbacksCarryItsServerSpan) {
  const auto dir = scratch_dir("server");
  const std::string trace_hex = "4bf92f3577b34da6a3ce929d0e0e4736";
  const served s = serve_batch(dir / "t.tether", {trace_hex});
  ASSERT_EQ(s.server_spans.size(), 1u);
  const trace::span_context& server = s.server_spans[0].context;
  EXPECT_EQ(server.trace.to_hex(), trace_hex);
  EXPECT_EQ(ids_of(s.seen_by_handler.at("/0")), ids_of(server));

  const collected_trace t = read_all(dir / "t.tether");
  const auto probe = befores_of(t, "PROBE0");
  ASSERT_EQ(probe.size(), 1u);
  EXPECT_EQ(ids_of(probe[0].span), ids_of(server));
  // Every slice that carries a span carries this one (the client side ran
  // suppressed, without spans).
  std::size_t with_span = 0;
  for (const auto& e : t.events) {
    if (e.kind == kind::before && !e.span.empty()) {
      ++with_span;
      EXPECT_EQ(ids_of(e.span), ids_of(server));
    }
    if (e.kind != kind::before) {
      EXPECT_TRUE(e.span.empty());
    }
  }
  EXPECT_GE(with_span, 3u);  // the promise continuations, the timer, the probe
}

// Two requests with different trace ids, served at once on one loop so that
// their continuations interleave: each slice carries its own request's span.
TEST(ProfilerTraceSpans, ConcurrentRequestsWithDifferentTraceIdsNeverMix) {
  const auto dir = scratch_dir("concurrent");
  const std::vector<std::string> traces = {"11111111111111111111111111111111", "22222222222222222222222222222222"};
  const served s = serve_batch(dir / "t.tether", traces);
  ASSERT_EQ(s.server_spans.size(), 2u);
  std::map<std::string, std::string> span_of_trace;  // trace hex -> "trace/span"
  for (const auto& sp : s.server_spans) span_of_trace[sp.context.trace.to_hex()] = ids_of(sp.context);
  ASSERT_EQ(span_of_trace.size(), 2u);

  const collected_trace t = read_all(dir / "t.tether");
  for (std::size_t i = 0; i < traces.size(); ++i) {
    const auto probe = befores_of(t, "PROBE" + std::to_string(i));
    ASSERT_EQ(probe.size(), 1u) << i;
    EXPECT_EQ(ids_of(probe[0].span), span_of_trace.at(traces[i])) << "request " << i;
    EXPECT_EQ(ids_of(s.seen_by_handler.at("/" + std::to_string(i))), span_of_trace.at(traces[i]));
  }
  // Every span-carrying slice names one of the two SERVER spans, and the
  // thread really switched between them (the requests interleaved).
  std::size_t switches = 0;
  std::string last;
  for (const auto& e : t.events) {
    if (e.kind != kind::before || e.span.empty()) continue;
    const std::string ids = ids_of(e.span);
    EXPECT_TRUE(ids == span_of_trace.at(traces[0]) || ids == span_of_trace.at(traces[1])) << ids;
    switches += !last.empty() && ids != last ? 1u : 0u;
    last = ids;
  }
  EXPECT_GE(switches, 2u);
}

// With tether::trace linked but no span active anywhere, no slice carries
// ids and no output mentions them.
TEST(ProfilerTraceSpans, NoSpanNoIds) {
  const auto dir = scratch_dir("none");
  {
    event_loop loop;
    profiler::start({.path = (dir / "t.tether").string()});
    set_timeout([] { set_immediate([] {}); }, std::chrono::milliseconds(1));
    loop.run();
    profiler::stop();
  }
  const collected_trace t = read_all(dir / "t.tether");
  ASSERT_GE(t.count(kind::before), 2u);
  for (const auto& e : t.events) EXPECT_TRUE(e.span.empty()) << ids_of(e.span);

  std::ostringstream chrome;
  auto writer = analysis::make_chrome_json_writer(chrome);
  analysis::read_trace((dir / "t.tether").string(), *writer);
  EXPECT_EQ(chrome.str().find("trace_id"), std::string::npos);
  std::ostringstream summary;
  analysis::write_summary(*analysis::load_model((dir / "t.tether").string()), summary);
  EXPECT_EQ(summary.str().find("top spans"), std::string::npos);
}

// A manual span: callbacks started inside span.run() carry it, and the
// callbacks after it (outside) carry nothing again.
TEST(ProfilerTraceSpans, AManualSpanTagsTheCallbacksStartedInIt) {
  const auto dir = scratch_dir("manual");
  auto mem = std::make_shared<trace::memory_exporter>();
  trace::provider provider(mem);
  trace::span_context in_span;
  {
    event_loop loop;
    profiler::start({.path = (dir / "t.tether").string()});
    trace::span s = trace::start_span("load order");
    in_span = s.context();
    s.run([] { async_resource("INSIDE").run_in_async_scope([] {}); });
    s.end();
    async_resource("OUTSIDE").run_in_async_scope([] {});
    s.run([] { async_resource("INSIDE_AGAIN").run_in_async_scope([] {}); });
    loop.run();
    profiler::stop();
  }
  ASSERT_TRUE(in_span.valid());
  const collected_trace t = read_all(dir / "t.tether");
  ASSERT_EQ(befores_of(t, "INSIDE").size(), 1u);
  EXPECT_EQ(ids_of(befores_of(t, "INSIDE")[0].span), ids_of(in_span));
  ASSERT_EQ(befores_of(t, "OUTSIDE").size(), 1u);
  EXPECT_TRUE(befores_of(t, "OUTSIDE")[0].span.empty()) << ids_of(befores_of(t, "OUTSIDE")[0].span);
  ASSERT_EQ(befores_of(t, "INSIDE_AGAIN").size(), 1u);
  EXPECT_EQ(ids_of(befores_of(t, "INSIDE_AGAIN")[0].span), ids_of(in_span));
}

struct writer_stall {
  explicit writer_stall(std::chrono::milliseconds ms) { detail::set_writer_stall_for_testing(ms); }
  ~writer_stall() { detail::set_writer_stall_for_testing(std::chrono::milliseconds(0)); }
};

// A hostile load for the ring: a 64-event ring, a stalled writer, callbacks
// alternating between two spans and none. Most events are dropped; a span
// event is dropped with its before, so no surviving slice is put under the
// wrong span, and a span costs one lost event, not three.
TEST(ProfilerTraceSpans, DroppedEventsNeverLeaveASliceUnderTheWrongSpan) {
  const auto dir = scratch_dir("loss");
  trace::span_context a;
  a.trace = *trace::trace_id::from_hex("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  a.span = *trace::span_id::from_hex("aaaaaaaaaaaaaaa1");
  trace::span_context b;
  b.trace = *trace::trace_id::from_hex("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
  b.span = *trace::span_id::from_hex("bbbbbbbbbbbbbbb2");
  const trace::context in_a = trace::context().with_span(a);
  const trace::context in_b = trace::context().with_span(b);
  constexpr int rounds = 20'000;
  stats st;
  {
    writer_stall stall(std::chrono::milliseconds(2));
    profiler::start({.path = (dir / "t.tether").string(), .buffer_events = 64});
    for (int k = 0; k < rounds; ++k) {
      if (k % 50 == 0) {  // bursts of 600 events into 64 slots; the writer drains between them
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      in_a.run([] { async_resource("IN_A").run_in_async_scope([] {}); });
      in_b.run([] { async_resource("IN_B").run_in_async_scope([] {}); });
      async_resource("IN_NONE").run_in_async_scope([] {});
    }
    st = profiler::stop();
  }
  // Each round: three resources, four events each.
  EXPECT_EQ(st.recorded + st.dropped, std::uint64_t{rounds} * 12);
  EXPECT_GT(st.dropped, std::uint64_t{rounds});
  const collected_trace t = read_all(dir / "t.tether");
  EXPECT_EQ(t.file.events, st.recorded);
  EXPECT_EQ(t.file.lost_events, st.dropped);
  std::size_t checked = 0;
  for (const auto& [type, want] : {std::pair{"IN_A", ids_of(a)}, std::pair{"IN_B", ids_of(b)},
                                   std::pair{"IN_NONE", std::string("(none)")}}) {
    const auto befores = befores_of(t, type);
    checked += befores.size();
    for (const auto& e : befores) ASSERT_EQ(ids_of(e.span), want) << type << " #" << e.id;
  }
  EXPECT_GT(checked, 20u);  // ~2,000 here; a few passes of the writer suffice
}

// What the span events cost: an HTTP load where every request has its own
// trace (so nearly every callback runs under another span than the one
// before it on the loop thread), against the same load without spans. The
// file stays within the recorder's budget of 16 bytes per recorded event.
struct load_cost {
  std::uint64_t events = 0;
  std::uint64_t bytes = 0;
  double per_event() const { return static_cast<double>(bytes) / static_cast<double>(events); }
};

load_cost run_load(const std::filesystem::path& file, bool traced) {
  constexpr int clients = 32;
  constexpr int requests_each = 16;
  auto mem = std::make_shared<trace::memory_exporter>();
  std::optional<trace::provider> provider;
  if (traced) provider.emplace(mem);
  event_loop loop;
  int left = clients * requests_each;
  http::server server = http::server::listen("127.0.0.1", 0, [&](http::request&, http::response& res) -> promise<void> {
    co_await delay(std::chrono::milliseconds(0));
    co_await res.end("ok");
    if (--left == 0) server.close();
  });
  profiler::start({.path = file.string()});
  const trace::context outside = trace::context().with_suppressed();
  // A coroutine lambda's captures live in the closure, not in the coroutine
  // frame: the closure must outlive every call, so it is named here and the
  // client number is a parameter (copied into the frame).
  const auto client = [&](int c) -> promise<void> {
    for (int k = 0; k < requests_each; ++k) {
      http::fetch_options o;
      if (traced) {
        char hex[33];
        std::snprintf(hex, sizeof hex, "%016x%016x", c + 1, k + 1);
        o.headers.set("traceparent", traceparent(hex));
      }
      http::client_response r = co_await http::fetch(url(server), std::move(o));
      EXPECT_EQ(r.status, 200);
    }
  };
  std::vector<promise<void>> calls;
  for (int c = 0; c < clients; ++c) {
    calls.push_back(outside.run([&client, c] { return client(c); }));
  }
  loop.run();
  const stats st = profiler::stop();
  EXPECT_EQ(st.dropped, 0u);
  return {st.recorded, st.bytes_written};
}

TEST(ProfilerTraceSpans, SpanEventsKeepTheFileWithinSixteenBytesPerEvent) {
  const auto dir = scratch_dir("cost");
  const load_cost plain = run_load(dir / "plain.tether", false);
  const load_cost traced = run_load(dir / "traced.tether", true);
  std::printf("bytes per event: %.2f without spans, %.2f with a span per request (%llu events)\n",
              plain.per_event(), traced.per_event(), static_cast<unsigned long long>(traced.events));
  EXPECT_LE(traced.per_event(), 16.0);
  // The spans really were recorded: the loop switched between them.
  const collected_trace t = read_all(dir / "traced.tether");
  std::set<std::string> spans;
  for (const auto& e : t.events) {
    if (e.kind == kind::before && !e.span.empty()) spans.insert(e.span.span_hex());
  }
  EXPECT_EQ(spans.size(), 32u * 16u);
}

// The outputs: Perfetto (decoded by protoc) annotates the slice with
// trace_id / span_id strings, Chrome JSON puts them in args, the report's
// slowest callbacks and the summary's top spans list them.
TEST(ProfilerTraceSpans, EveryOutputShowsTheIds) {
  const auto dir = scratch_dir("outputs");
  const std::string trace_hex = "4bf92f3577b34da6a3ce929d0e0e4736";
  const served s = serve_batch(dir / "t.tether", {trace_hex});
  ASSERT_EQ(s.server_spans.size(), 1u);
  const std::string span_hex = s.server_spans[0].context.span.to_hex();
  const std::string trace_file = (dir / "t.tether").string();

  {
    std::ofstream out(dir / "t.perfetto-trace", std::ios::binary);
    auto writer = analysis::make_perfetto_writer(out);
    analysis::read_trace(trace_file, *writer);
  }
  int status = 0;
  const std::string text = run_shell(std::string("protoc --proto_path=") + TETHER_PROFILER_TEST_DIR +
                                         " --decode=perfetto.protos.Trace perfetto_subset.proto < " +
                                         (dir / "t.perfetto-trace").string(),
                                     status);
  ASSERT_EQ(status, 0) << text.substr(0, 2000);
  // The names are interned once, then each span-carrying slice has both values.
  EXPECT_NE(text.find("name: \"trace_id\""), std::string::npos);
  EXPECT_NE(text.find("name: \"span_id\""), std::string::npos);
  const auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
    return n;
  };
  const std::size_t traces = count("string_value: \"" + trace_hex + "\"");
  EXPECT_GE(traces, 3u);
  EXPECT_EQ(count("string_value: \"" + span_hex + "\""), traces);

  std::ostringstream chrome;
  auto cw = analysis::make_chrome_json_writer(chrome);
  analysis::read_trace(trace_file, *cw);
  EXPECT_NE(chrome.str().find("\"args\":{\"trace_id\":\"" + trace_hex + "\",\"span_id\":\"" + span_hex + "\"}"),
            std::string::npos);

  const auto model = analysis::load_model(trace_file);
  EXPECT_NE(analysis::report_json(*model).find(",\"" + trace_hex + "\",\"" + span_hex + "\"]"), std::string::npos);
  ASSERT_FALSE(model->top_spans.empty());
  EXPECT_EQ(model->top_spans[0].span.span_hex(), span_hex);
  std::ostringstream summary;
  analysis::write_summary(*model, summary);
  EXPECT_NE(summary.str().find("top spans"), std::string::npos);
  EXPECT_NE(summary.str().find(trace_hex + " " + span_hex), std::string::npos) << summary.str();

  // The page itself, in a browser: the slowest-callbacks table grows the
  // "trace id / span id" column and each row shows its callback's ids.
  const std::filesystem::path out_dir = std::filesystem::path(TETHER_BUILD_DIR) / "profiler-report";
  std::filesystem::create_directories(out_dir);
  {
    std::ofstream html(out_dir / "report-with-spans.html");
    analysis::write_html_report(*model, html);
  }
  const browser_check check =
      check_report_in_browser(out_dir / "report-with-spans.html", out_dir / "report-with-spans.png");
  if (!check.skip.empty()) GTEST_SKIP() << check.skip;
  EXPECT_EQ(check.status, 0) << check.output;
  EXPECT_NE(check.output.find("ok bubbles="), std::string::npos) << check.output;
  EXPECT_EQ(check.output.find(" with_span=0 "), std::string::npos) << check.output;
}

}  // namespace
}  // namespace tether::profiler::test
