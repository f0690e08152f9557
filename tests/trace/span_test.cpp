// trace::context, spans, samplers and the provider: what records, what
// propagates, and how the context follows async hops.
#include <tether/trace.hpp>
#include <tether/trace_exporter.hpp>

#include <gtest/gtest.h>

#include <cstdlib>

#include <tether/event_loop.hpp>
#include <tether/http_headers.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>

namespace {

namespace trace = tether::trace;

constexpr std::string_view remote_parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

trace::context remote_context(std::string_view traceparent = remote_parent) {
  tether::http::headers h{{"traceparent", std::string(traceparent)}};
  return trace::extract(trace::context(), h);
}

TEST(Spans, WithoutAProviderASpanPropagatesItsParentUnchanged) {
  const trace::context parent = remote_context();
  trace::span s = trace::start_span("work", trace::span_kind::server, {.parent = parent});
  EXPECT_FALSE(s.recording());
  EXPECT_EQ(s.context(), parent.span());
  tether::http::headers out;
  trace::inject(s.as_context(), out);
  EXPECT_EQ(out.get("traceparent"), remote_parent);

  trace::span root = trace::start_span("no parent");
  EXPECT_FALSE(root.context().valid());
  tether::http::headers none;
  trace::inject(root.as_context(), none);
  EXPECT_TRUE(none.empty());
}

TEST(Spans, ARecordedSpanHasItsParentsTraceANewIdAndItsData) {
  auto mem = std::make_shared<trace::memory_exporter>();
  {
    trace::provider p(mem);
    trace::span s = trace::start_span("GET /orders", trace::span_kind::server,
                                      {.parent = remote_context(), .attributes = {{"http.request.method", std::string("GET")}}});
    ASSERT_TRUE(s.recording());
    EXPECT_EQ(s.context().trace.to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_NE(s.context().span.to_hex(), "00f067aa0ba902b7");
    EXPECT_TRUE(s.context().sampled());
    EXPECT_FALSE(s.context().remote);
    s.set_attribute("http.response.status_code", std::int64_t{200});
    s.add_event("cache miss");
    s.set_status(trace::status_code::error, "boom");
    s.end();
    EXPECT_FALSE(s.recording());
    s.set_attribute("late", true);  // ignored once ended
  }
  const auto spans = mem->spans();
  ASSERT_EQ(spans.size(), 1u);
  const trace::span_data& d = spans[0];
  EXPECT_EQ(d.name, "GET /orders");
  EXPECT_EQ(d.kind, trace::span_kind::server);
  EXPECT_EQ(d.parent.to_hex(), "00f067aa0ba902b7");
  EXPECT_TRUE(d.parent_remote);
  ASSERT_EQ(d.attributes.size(), 2u);
  EXPECT_EQ(d.attributes[1].key, "http.response.status_code");
  EXPECT_EQ(std::get<std::int64_t>(d.attributes[1].value), 200);
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(d.status, trace::status_code::error);
  EXPECT_EQ(d.status_message, "boom");
  EXPECT_LE(d.start, d.end);
}

TEST(Spans, ChildrenFollowTheContextAcrossAsyncHops) {
  auto mem = std::make_shared<trace::memory_exporter>();
  trace::provider p(mem);
  tether::event_loop loop;
  trace::span_context parent_ctx;
  {
    trace::span parent = trace::start_span("parent");
    parent_ctx = parent.context();
    parent.run([] {
      tether::set_timeout([] {
        tether::set_immediate([] { trace::start_span("child in immediate").end(); });
      });
      tether::queue_microtask([] { trace::start_span("child in microtask").end(); });
    });
    EXPECT_FALSE(trace::current().span().valid());  // run() ended: back at the root
  }
  loop.run();
  const auto spans = mem->spans();
  ASSERT_EQ(spans.size(), 3u);
  for (const trace::span_data& d : spans) {
    if (d.name == "parent") {
      EXPECT_FALSE(d.parent.valid());
    } else {
      EXPECT_EQ(d.context.trace, parent_ctx.trace) << d.name;
      EXPECT_EQ(d.parent, parent_ctx.span) << d.name;
    }
  }
}

TEST(Spans, ADestroyedSpanEndsItself) {
  auto mem = std::make_shared<trace::memory_exporter>();
  trace::provider p(mem);
  { trace::span s = trace::start_span("scoped"); }
  EXPECT_EQ(mem->spans().size(), 1u);
}

TEST(Spans, AttributeAndEventLimitsCountDrops) {
  auto mem = std::make_shared<trace::memory_exporter>();
  trace::provider p(mem);
  trace::span s = trace::start_span("many");
  for (int i = 0; i < 200; ++i) {
    s.set_attribute("k" + std::to_string(i), std::int64_t{i});
    s.add_event("e");
  }
  s.end();
  const trace::span_data d = mem->spans().at(0);
  EXPECT_EQ(d.attributes.size(), 128u);
  EXPECT_EQ(d.dropped_attributes, 72u);
  EXPECT_EQ(d.events.size(), 128u);
  EXPECT_EQ(d.dropped_events, 72u);
}

TEST(Spans, SuppressedContextsRecordAndInjectNothing) {
  auto mem = std::make_shared<trace::memory_exporter>();
  trace::provider p(mem);
  const trace::context quiet = remote_context().with_suppressed();
  trace::span s = trace::start_span("exporter's own request", trace::span_kind::client, {.parent = quiet});
  EXPECT_FALSE(s.recording());
  tether::http::headers h;
  trace::inject(s.as_context(), h);
  EXPECT_TRUE(h.empty());
  s.end();
  EXPECT_TRUE(mem->spans().empty());
}

TEST(Provider, OnlyOneAtATime) {
  auto mem = std::make_shared<trace::memory_exporter>();
  trace::provider p(mem);
  EXPECT_THROW(trace::provider second(mem), tether::usage_error);
  EXPECT_THROW(trace::provider null_exporter(nullptr), tether::usage_error);
}

TEST(Provider, MemoryExporterIsBoundedAndCountsDrops) {
  auto mem = std::make_shared<trace::memory_exporter>(3);
  trace::provider p(mem);
  for (int i = 0; i < 5; ++i) {
    trace::start_span("s").end();
  }
  EXPECT_EQ(mem->spans().size(), 3u);
  EXPECT_EQ(mem->dropped(), 2u);
}

// --- samplers ------------------------------------------------------------------

TEST(Sampler, ParentBasedFollowsTheParentsFlag) {
  const trace::sampler s = trace::sampler::always_off();
  const auto sampled = *trace::parse_traceparent(remote_parent);
  auto unsampled = sampled;
  unsampled.flags = 0;
  EXPECT_TRUE(s.should_sample(sampled, sampled.trace));
  EXPECT_FALSE(s.should_sample(unsampled, sampled.trace));
  EXPECT_FALSE(s.should_sample({}, sampled.trace));  // a root: the inner sampler
  EXPECT_TRUE(trace::sampler::always_on().should_sample({}, sampled.trace));
  EXPECT_FALSE(trace::sampler::always_on(false).should_sample(unsampled, sampled.trace) == false);
}

TEST(Sampler, RatioIsDecidedByTheTraceIdSoServicesAgree) {
  const trace::sampler half = trace::sampler::trace_id_ratio(0.5, false);
  int yes = 0;
  for (int i = 0; i < 10000; ++i) {
    const auto id = trace::trace_id::random();
    const bool first = half.should_sample({}, id);
    EXPECT_EQ(first, half.should_sample({}, id));  // deterministic per id
    yes += first ? 1 : 0;
  }
  EXPECT_GT(yes, 4500);
  EXPECT_LT(yes, 5500);
  EXPECT_FALSE(trace::sampler::trace_id_ratio(0.0, false).should_sample({}, trace::trace_id::random()));
}

TEST(Sampler, UnsampledSpansPropagateWithTheSampledBitCleared) {
  auto mem = std::make_shared<trace::memory_exporter>();
  trace::provider p(mem, trace::sampler::always_off(false));
  trace::span s = trace::start_span("dropped", trace::span_kind::internal, {.parent = remote_context()});
  EXPECT_FALSE(s.recording());
  EXPECT_TRUE(s.context().valid());
  EXPECT_FALSE(s.context().sampled());
  EXPECT_NE(s.context().span.to_hex(), "00f067aa0ba902b7");  // a new span id all the same
  s.end();
  EXPECT_TRUE(mem->spans().empty());
}

TEST(Sampler, FromEnvReadsTheStandardVariables) {
  ::setenv("OTEL_TRACES_SAMPLER", "traceidratio", 1);
  ::setenv("OTEL_TRACES_SAMPLER_ARG", "0", 1);
  EXPECT_FALSE(trace::sampler::from_env().should_sample({}, trace::trace_id::random()));
  ::setenv("OTEL_TRACES_SAMPLER", "nonsense", 1);
  EXPECT_THROW(trace::sampler::from_env(), std::invalid_argument);
  ::setenv("OTEL_TRACES_SAMPLER", "always_on", 1);
  ::setenv("OTEL_TRACES_SAMPLER_ARG", "2", 1);
  EXPECT_THROW(trace::sampler::from_env(), std::invalid_argument);
  ::unsetenv("OTEL_TRACES_SAMPLER");
  ::unsetenv("OTEL_TRACES_SAMPLER_ARG");
  EXPECT_TRUE(trace::sampler::from_env().should_sample({}, trace::trace_id::random()));
}

// --- extract / inject -----------------------------------------------------------

TEST(Propagation, ExtractTakesOneValidTraceparentItsTracestateAndBaggage) {
  tether::http::headers h{{"traceparent", std::string(remote_parent)},
                          {"TraceState", "congo=t61rcWkgMzE"},
                          {"tracestate", "rojo=00f067aa0ba902b7"},
                          {"baggage", "user=alice"}};
  const trace::context c = trace::extract(trace::context(), h);
  EXPECT_EQ(format_traceparent(c.span()), remote_parent);
  EXPECT_EQ(c.span().trace_state, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  EXPECT_EQ(c.baggage().get("user"), "alice");
  tether::http::headers out{{"traceparent", "stale"}, {"traceparent", "another"}};
  trace::inject(c, out);
  EXPECT_EQ(out.count("traceparent"), 1u);  // set, never add: one header
  EXPECT_EQ(out.get("traceparent"), remote_parent);
  EXPECT_EQ(out.get("tracestate"), "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  EXPECT_EQ(out.get("baggage"), "user=alice");
}

TEST(Propagation, TwoTraceparentsOrAnInvalidOneRestartTheTraceAndIgnoreTracestate) {
  tether::http::headers twice{{"traceparent", std::string(remote_parent)},
                              {"traceparent", std::string(remote_parent)},
                              {"tracestate", "foo=1"}};
  EXPECT_FALSE(trace::extract(trace::context(), twice).span().valid());
  tether::http::headers bad{{"traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"},
                            {"tracestate", "foo=1"}};
  const trace::context c = trace::extract(remote_context(), bad);
  EXPECT_FALSE(c.span().valid());  // not even the base's span survives
  EXPECT_TRUE(c.span().trace_state.empty());
}

TEST(Propagation, AnInvalidTracestateIsDroppedTheTraceparentKept) {
  tether::http::headers h{{"traceparent", std::string(remote_parent)}, {"tracestate", "FOO=1"}};
  const trace::context c = trace::extract(trace::context(), h);
  EXPECT_TRUE(c.span().valid());
  EXPECT_TRUE(c.span().trace_state.empty());
}

}  // namespace
