// otlp_exporter against a real receiver on loopback (a tether HTTP server on
// a thread of its own): batching, the queue bound, retries only where the
// OTLP specification allows them (Retry-After honoured), timeouts, refused
// connections, partial success, and the exporter never tracing itself.
#include <tether/trace.hpp>
#include <tether/trace_exporter.hpp>

#include <gtest/gtest.h>

#include <protozero/pbf_writer.hpp>

#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include <tether/event_loop.hpp>
#include <tether/http.hpp>
#include <tether/net.hpp>
#include <tether/promise.hpp>

namespace {

namespace trace = tether::trace;
namespace http = tether::http;
using namespace std::chrono_literals;

struct reply {
  int status = 200;
  std::string retry_after{};
  std::string body{};
  bool hang = false;  // never answer (until the receiver stops)
};
using script = std::vector<reply>;

struct received {
  std::string content_type;
  std::string user_agent;
  std::string traceparent;
  std::size_t bytes = 0;
  std::chrono::steady_clock::time_point at;
};

// An OTLP receiver on its own thread and loop: answers with `script` in order,
// then 200.
class receiver {
 public:
  explicit receiver(script replies = {}) : script_(std::move(replies)) {
    std::promise<void> ready;
    std::future<void> started = ready.get_future();
    thread_ = std::thread([this, &ready] { run(ready); });
    started.wait();
  }
  ~receiver() {
    executor_.post([this] {
      server_.close();
      for (auto& r : hung_) {
        r.resolve();
      }
      hung_.clear();
    });
    thread_.join();
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1/traces"; }
  std::vector<received> requests() const {
    const std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void run(std::promise<void>& ready) {
    tether::event_loop loop;
    executor_ = loop.executor();
    // Not traced: the spans of this in-process receiver would otherwise be
    // exported to itself.
    http::server_options untraced;
    untraced.instrumented = false;
    server_ = http::server::listen("127.0.0.1", 0, [this](http::request& req, http::response& res) {
      return serve(req, res);
    }, untraced);
    port_ = server_.port();
    ready.set_value();
    loop.run();
  }

  tether::promise<void> serve(http::request& req, http::response& res) {
    reply r;
    {
      const std::lock_guard lock(mutex_);
      requests_.push_back({std::string(req.header("content-type")), std::string(req.header("user-agent")),
                           std::string(req.header("traceparent")), 0, std::chrono::steady_clock::now()});
      if (next_ < script_.size()) {
        r = script_[next_++];
      }
    }
    std::string body = co_await req.body();
    {
      const std::lock_guard lock(mutex_);
      requests_.back().bytes = body.size();
    }
    if (r.hang) {
      auto [p, resolver] = tether::make_promise<void>();
      hung_.push_back(std::move(resolver));
      co_await p;
      co_return;
    }
    res.status(r.status);
    if (!r.retry_after.empty()) {
      res.set_header("retry-after", r.retry_after);
    }
    co_await res.end(r.body);
  }

  std::vector<reply> script_;
  std::size_t next_ = 0;
  mutable std::mutex mutex_;
  std::vector<received> requests_;
  std::vector<tether::resolver<void>> hung_;
  std::thread thread_;
  tether::loop_executor executor_;
  http::server server_;
  std::uint16_t port_ = 0;
};

trace::otlp_options options_for(const receiver& r) {
  trace::otlp_options o;
  o.endpoint = r.endpoint();
  o.service_name = "exporter-test";
  o.schedule_delay = 1h;  // only full batches and flushes send
  o.initial_backoff = 10ms;
  o.max_backoff = 20ms;
  o.timeout = 2s;
  return o;
}

void end_spans(int n) {
  for (int i = 0; i < n; ++i) {
    trace::start_span("span " + std::to_string(i)).end();
  }
}

TEST(OtlpExporter, FlushSendsWhatIsQueuedAsProtobuf) {
  receiver rx;
  auto ex = std::make_shared<trace::otlp_exporter>(options_for(rx));
  {
    trace::provider p(ex);
    end_spans(3);
  }  // ~provider flushes
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].content_type, "application/x-protobuf");
  EXPECT_EQ(reqs[0].user_agent.rfind("tether-otlp-exporter/", 0), 0u);
  EXPECT_TRUE(reqs[0].traceparent.empty());  // its own requests carry no context
  EXPECT_GT(reqs[0].bytes, 0u);
  const trace::otlp_stats s = ex->stats();
  EXPECT_EQ(s.exported, 3u);
  EXPECT_EQ(s.requests, 1u);
  EXPECT_EQ(s.failed + s.dropped + s.retries, 0u);
}

TEST(OtlpExporter, FullBatchesLeaveWithoutWaitingForTheSchedule) {
  receiver rx;
  trace::otlp_options o = options_for(rx);
  o.max_export_batch_size = 5;
  auto ex = std::make_shared<trace::otlp_exporter>(o);
  trace::provider p(ex);
  end_spans(12);
  for (int i = 0; i < 200 && ex->stats().exported < 10; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(ex->stats().exported, 10u);  // two full batches, two left queued
  ex->flush();
  EXPECT_EQ(ex->stats().exported, 12u);
  EXPECT_EQ(rx.requests().size(), 3u);
}

TEST(OtlpExporter, TheScheduleSendsAPartialBatch) {
  receiver rx;
  trace::otlp_options o = options_for(rx);
  o.schedule_delay = 50ms;
  auto ex = std::make_shared<trace::otlp_exporter>(o);
  trace::provider p(ex);
  end_spans(2);
  for (int i = 0; i < 300 && ex->stats().exported < 2; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(ex->stats().exported, 2u);
}

TEST(OtlpExporter, AFullQueueDropsAndCounts) {
  receiver rx;
  trace::otlp_options o = options_for(rx);
  o.max_queue_size = 10;
  o.max_export_batch_size = 100;  // never full: nothing leaves before flush
  auto ex = std::make_shared<trace::otlp_exporter>(o);
  trace::provider p(ex);
  end_spans(25);
  EXPECT_EQ(ex->stats().dropped, 15u);
  ex->flush();
  EXPECT_EQ(ex->stats().exported, 10u);
}

TEST(OtlpExporter, RetryAfterIsHonoured) {
  receiver rx(script{{.status = 429, .retry_after = "1"}});
  auto ex = std::make_shared<trace::otlp_exporter>(options_for(rx));
  {
    trace::provider p(ex);
    end_spans(4);
  }
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_GE(reqs[1].at - reqs[0].at, 900ms);  // the receiver asked for 1 s
  EXPECT_EQ(ex->stats().retries, 1u);
  EXPECT_EQ(ex->stats().exported, 4u);
}

TEST(OtlpExporter, RetryableStatusesAreRetriedOthersNot) {
  for (const int status : {502, 503, 504}) {
    receiver rx(script{{.status = status}, {.status = status}});
    auto ex = std::make_shared<trace::otlp_exporter>(options_for(rx));
    {
      trace::provider p(ex);
      end_spans(2);
    }
    EXPECT_EQ(rx.requests().size(), 3u) << status;
    EXPECT_EQ(ex->stats().retries, 2u) << status;
    EXPECT_EQ(ex->stats().exported, 2u) << status;
  }
  for (const int status : {400, 401, 404, 500}) {
    receiver rx(script{{.status = status}});
    auto ex = std::make_shared<trace::otlp_exporter>(options_for(rx));
    {
      trace::provider p(ex);
      end_spans(2);
    }
    EXPECT_EQ(rx.requests().size(), 1u) << status;
    EXPECT_EQ(ex->stats().failed, 2u) << status;
    EXPECT_EQ(ex->stats().retries, 0u) << status;
  }
}

TEST(OtlpExporter, AttemptsAreBounded) {
  receiver rx(script{{.status = 503}, {.status = 503}, {.status = 503}, {.status = 503}});
  trace::otlp_options o = options_for(rx);
  o.max_attempts = 3;
  auto ex = std::make_shared<trace::otlp_exporter>(o);
  {
    trace::provider p(ex);
    end_spans(1);
  }
  EXPECT_EQ(rx.requests().size(), 3u);
  EXPECT_EQ(ex->stats().failed, 1u);
}

TEST(OtlpExporter, PartialSuccessIsCountedAndNotRetried) {
  std::string body;
  {
    protozero::pbf_writer response(body);
    protozero::pbf_writer partial(response, 1);
    partial.add_int64(1, 2);
    partial.add_string(2, "too old");
  }
  receiver rx(script{{.status = 200, .body = body}});
  auto ex = std::make_shared<trace::otlp_exporter>(options_for(rx));
  {
    trace::provider p(ex);
    end_spans(5);
  }
  EXPECT_EQ(rx.requests().size(), 1u);
  EXPECT_EQ(ex->stats().rejected, 2u);
  EXPECT_EQ(ex->stats().exported, 3u);
}

TEST(OtlpExporter, ARequestThatHangsTimesOutAndIsRetried) {
  receiver rx(script{{.hang = true}});
  trace::otlp_options o = options_for(rx);
  o.timeout = 200ms;
  auto ex = std::make_shared<trace::otlp_exporter>(o);
  {
    trace::provider p(ex);
    end_spans(2);
  }
  EXPECT_EQ(rx.requests().size(), 2u);
  EXPECT_EQ(ex->stats().retries, 1u);
  EXPECT_EQ(ex->stats().exported, 2u);
}

TEST(OtlpExporter, ARefusedConnectionIsRetriedThenCountedAsFailed) {
  std::uint16_t closed_port = 0;
  {
    tether::event_loop loop;
    auto s = http::server::listen("127.0.0.1", 0, [](http::request&, http::response& res) { return res.end(); });
    closed_port = s.port();
    s.close();
    loop.run();
  }
  trace::otlp_options o;
  o.endpoint = "http://127.0.0.1:" + std::to_string(closed_port) + "/v1/traces";
  o.max_attempts = 3;
  o.initial_backoff = 10ms;
  o.max_backoff = 10ms;
  auto ex = std::make_shared<trace::otlp_exporter>(o);
  {
    trace::provider p(ex);
    end_spans(2);
  }
  EXPECT_EQ(ex->stats().requests, 3u);
  EXPECT_EQ(ex->stats().retries, 2u);
  EXPECT_EQ(ex->stats().failed, 2u);
}

TEST(OtlpExporter, JsonIsSentAsJson) {
  receiver rx;
  trace::otlp_options o = options_for(rx);
  o.protocol = trace::otlp_options::encoding::json;
  auto ex = std::make_shared<trace::otlp_exporter>(o);
  {
    trace::provider p(ex);
    end_spans(1);
  }
  ASSERT_EQ(rx.requests().size(), 1u);
  EXPECT_EQ(rx.requests()[0].content_type, "application/json");
  EXPECT_EQ(ex->stats().exported, 1u);
}

TEST(OtlpExporter, ItsOwnRequestsAreNeverTraced) {
  // With the exporter installed, its fetches go through the HTTP
  // instrumentation: they must make no CLIENT spans (which would be exported,
  // making more requests, forever).
  receiver rx;
  auto ex = std::make_shared<trace::otlp_exporter>(options_for(rx));
  {
    trace::provider p(ex);
    end_spans(3);
    ex->flush();
    end_spans(3);
    ex->flush();
  }
  EXPECT_EQ(ex->stats().exported, 6u);
  EXPECT_EQ(rx.requests().size(), 2u);
}

TEST(OtlpExporter, MisuseIsReportedAtConstruction) {
  trace::otlp_options o;
  o.endpoint = "https://collector:4318/v1/traces";
  EXPECT_THROW(trace::otlp_exporter{o}, tether::usage_error);
  o.endpoint = "http://127.0.0.1:1/v1/traces";
  o.max_queue_size = 0;
  EXPECT_THROW(trace::otlp_exporter{o}, tether::usage_error);
}

TEST(OtlpOptions, FromEnvReadsTheStandardVariables) {
  ::setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318", 1);
  ::setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", 1);
  ::setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20abc, x-tenant = acme", 1);
  ::setenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "2500", 1);
  ::setenv("OTEL_SERVICE_NAME", "orders", 1);
  ::setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,service.name=ignored", 1);
  ::setenv("OTEL_BSP_MAX_QUEUE_SIZE", "100", 1);
  trace::otlp_options o = trace::otlp_options::from_env();
  EXPECT_EQ(o.endpoint, "http://collector:4318/v1/traces");
  EXPECT_EQ(o.protocol, trace::otlp_options::encoding::json);
  EXPECT_EQ(o.headers.get("authorization"), "Bearer abc");
  EXPECT_EQ(o.headers.get("x-tenant"), "acme");
  EXPECT_EQ(o.timeout, 2500ms);
  EXPECT_EQ(o.service_name, "orders");
  ASSERT_EQ(o.resource_attributes.size(), 1u);
  EXPECT_EQ(o.resource_attributes[0].key, "deployment.environment");
  EXPECT_EQ(o.max_queue_size, 100u);

  ::setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://other:9999/custom", 1);
  EXPECT_EQ(trace::otlp_options::from_env().endpoint, "http://other:9999/custom");  // as is
  ::setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", 1);
  EXPECT_THROW(trace::otlp_options::from_env(), std::invalid_argument);
  ::setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", 1);
  ::setenv("OTEL_BSP_MAX_QUEUE_SIZE", "many", 1);
  EXPECT_THROW(trace::otlp_options::from_env(), std::invalid_argument);
  for (const char* v : {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL",
                        "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_SERVICE_NAME",
                        "OTEL_RESOURCE_ATTRIBUTES", "OTEL_BSP_MAX_QUEUE_SIZE"}) {
    ::unsetenv(v);
  }
  EXPECT_EQ(trace::otlp_options::from_env().endpoint, "http://localhost:4318/v1/traces");
}

}  // namespace
