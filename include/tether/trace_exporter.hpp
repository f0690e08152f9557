#pragma once
// Where ended spans go. A trace::provider installs, for the whole process,
// a sampler and an exporter: the OTLP exporter (trace::otlp_exporter,
// OpenTelemetry's wire protocol, any backend) or the in-memory one
// (trace::memory_exporter, for tests). With no provider, spans record
// nothing and only propagate the context they were started in.
//
//   tether::trace::provider tracing(std::make_shared<tether::trace::otlp_exporter>(
//       tether::trace::otlp_options::from_env()));
//   ... // every span ended from now on is exported; ~provider flushes

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <tether/http_headers.hpp>
#include <tether/trace.hpp>

namespace tether::trace {

struct span_event {
  std::string name;
  std::chrono::system_clock::time_point time;
  std::vector<attribute> attributes;
};

/// An ended span, as exporters receive it.
struct span_data {
  std::string name;
  span_kind kind = span_kind::internal;
  span_context context;
  /// Invalid for a root span.
  span_id parent;
  bool parent_remote = false;
  std::chrono::system_clock::time_point start;
  std::chrono::system_clock::time_point end;
  std::vector<attribute> attributes;
  std::vector<span_event> events;
  status_code status = status_code::unset;
  std::string status_message;
  std::uint32_t dropped_attributes = 0;
  std::uint32_t dropped_events = 0;
};

/// OpenTelemetry's standard samplers (OTEL_TRACES_SAMPLER).
class sampler {
 public:
  enum class kind : std::uint8_t { always_on, always_off, trace_id_ratio };

  /// parentbased_always_on: OpenTelemetry's default.
  sampler() noexcept = default;
  static sampler always_on(bool parent_based = true) noexcept { return {kind::always_on, 1.0, parent_based}; }
  static sampler always_off(bool parent_based = true) noexcept { return {kind::always_off, 0.0, parent_based}; }
  /// Samples a trace when its id's low 8 bytes fall under ratio * 2^64,
  /// so every service agrees on the same trace.
  static sampler trace_id_ratio(double ratio, bool parent_based = true) noexcept;
  /// OTEL_TRACES_SAMPLER (always_on, always_off, traceidratio,
  /// parentbased_always_on (default), parentbased_always_off,
  /// parentbased_traceidratio) and OTEL_TRACES_SAMPLER_ARG (the ratio,
  /// default 1.0). Throws std::invalid_argument naming the bad value.
  static sampler from_env();

  /// Whether a new span with this parent (invalid: a root) and trace id records.
  bool should_sample(const span_context& parent, const trace_id& trace) const noexcept;

 private:
  sampler(kind k, double ratio, bool parent_based) noexcept
      : kind_(k), ratio_(ratio), parent_based_(parent_based) {}
  kind kind_ = kind::always_on;
  double ratio_ = 1.0;
  bool parent_based_ = true;
};

/// Receives every ended, sampled span. Called on the thread that ended it;
/// must not block (queue and return).
class exporter {
 public:
  virtual ~exporter() = default;
  virtual void on_end(span_data&& span) noexcept = 0;
  /// Sends what is queued and waits for it (bounded by the exporter's own
  /// timeout). Called by ~provider.
  virtual void flush() noexcept {}
};

/// Keeps ended spans in memory (for tests and debugging), at most `capacity`;
/// later ones are counted in dropped(). Thread-safe.
class memory_exporter final : public exporter {
 public:
  explicit memory_exporter(std::size_t capacity = 100'000) : capacity_(capacity) {}
  void on_end(span_data&& span) noexcept override;
  std::vector<span_data> spans() const;
  std::size_t dropped() const;
  void clear();

 private:
  mutable std::mutex mutex_;
  std::vector<span_data> spans_;
  std::size_t capacity_;
  std::size_t dropped_ = 0;
};

/// Installs a sampler and an exporter for the whole process while it lives
/// (one at a time: a second throws usage_error). Its destructor stops new
/// spans from recording, then flushes the exporter. Spans started before
/// and ended after are still exported while the exporter object lives.
class provider {
 public:
  explicit provider(std::shared_ptr<trace::exporter> e, trace::sampler s = trace::sampler());
  provider(const provider&) = delete;
  provider& operator=(const provider&) = delete;
  ~provider();

 private:
  std::shared_ptr<trace::exporter> exporter_;
};

/// Where and how otlp_exporter sends. from_env() reads OpenTelemetry's
/// standard variables; the defaults are the specification's.
struct otlp_options {
  enum class encoding : std::uint8_t { protobuf, json };

  /// The full traces URL (http only; put a collector on loopback for TLS).
  std::string endpoint = "http://localhost:4318/v1/traces";
  encoding protocol = encoding::protobuf;
  /// Sent with every request (authentication, say).
  http::headers headers;
  /// Per request, from connect to the last byte of the answer.
  std::chrono::milliseconds timeout{10'000};
  std::string service_name = "unknown_service";
  /// More resource attributes (OTEL_RESOURCE_ATTRIBUTES).
  std::vector<attribute> resource_attributes;
  /// Ended spans waiting to be sent; beyond it they are dropped and counted.
  std::size_t max_queue_size = 2048;
  std::size_t max_export_batch_size = 512;
  /// A batch leaves at least this often (sooner when a batch is full).
  std::chrono::milliseconds schedule_delay{5'000};
  /// Attempts per batch for retryable failures (429, 502, 503, 504, a failed
  /// connection); the wait between them grows (initial_backoff x 1.5^n, at
  /// most max_backoff, with jitter) unless the receiver sends Retry-After.
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{1'000};
  std::chrono::milliseconds max_backoff{5'000};

  /// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as is) or
  /// OTEL_EXPORTER_OTLP_ENDPOINT (+ "/v1/traces"), *_PROTOCOL
  /// (http/protobuf, http/json), *_HEADERS ("k=v,k2=v2", percent-decoded),
  /// *_TIMEOUT (ms), OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
  /// OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
  /// OTEL_BSP_SCHEDULE_DELAY. The TRACES_ variant of each wins. Throws
  /// std::invalid_argument naming the variable and what it wants.
  static otlp_options from_env();
};

/// What an otlp_exporter did so far.
struct otlp_stats {
  std::uint64_t exported = 0;  // spans the receiver accepted
  std::uint64_t dropped = 0;   // spans that found the queue full
  std::uint64_t failed = 0;    // spans of batches refused (4xx, 5xx) or out of attempts
  std::uint64_t rejected = 0;  // spans the receiver rejected in a partial success
  std::uint64_t retries = 0;   // requests sent again
  std::uint64_t requests = 0;  // requests sent
};

/// Sends ended spans to an OTLP/HTTP receiver (the OpenTelemetry Collector,
/// Jaeger, Tempo, ...) in batches, from a thread and event loop of its own:
/// ending a span only queues it (a lock and a move), whatever the loop
/// thread is doing. Its own requests are never traced.
class otlp_exporter final : public exporter {
 public:
  /// Starts the sending thread. Throws usage_error for an endpoint that is
  /// not an http:// URL, or for zero queue or batch sizes.
  explicit otlp_exporter(otlp_options options = otlp_options::from_env());
  otlp_exporter(const otlp_exporter&) = delete;
  otlp_exporter& operator=(const otlp_exporter&) = delete;
  /// Flushes, then stops the thread.
  ~otlp_exporter() override;

  void on_end(span_data&& span) noexcept override;
  /// Sends everything queued now and waits until it is answered (or failed),
  /// at most max_attempts x timeout plus the backoffs.
  void flush() noexcept override;
  otlp_stats stats() const;

  struct state;  // not API

 private:
  std::shared_ptr<state> state_;
};

}  // namespace tether::trace
