// otlp_exporter: a batch span processor and OTLP/HTTP sender on a thread and
// event loop of its own (OpenTelemetry's BatchSpanProcessor + OTLPTraceExporter).
//
// Threads: any thread ends spans (on_end: lock, bounded queue, maybe one
// post to wake the sender); the sender thread owns everything else (the
// batch in flight, retries, timers) and takes the lock only to take spans
// and update stats. flush() and the destructor wait on a condition variable.

#include <tether/trace_exporter.hpp>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <future>
#include <random>
#include <thread>

#include <tether/debug.hpp>
#include <tether/error.hpp>
#include <tether/event_loop.hpp>
#include <tether/http.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>

#include "trace/otlp_encoding.hpp"

namespace tether::trace {

struct otlp_exporter::state {
  otlp_options options;
  detail::otlp_resource resource;

  mutable std::mutex mutex;
  std::condition_variable idle;  // signalled when nothing is queued or in flight
  std::deque<span_data> queue;
  otlp_stats stats;
  bool wake_posted = false;  // a send_next is on its way to the sender loop
  bool sending = false;      // a batch is in flight (sender thread)
  bool flushing = false;     // send every queued span, full batch or not
  loop_executor sender;

  std::thread thread;
  loop_hold hold;  // keeps the sender loop running; released to stop it

  bool idle_now() const noexcept { return queue.empty() && !sending && !wake_posted; }
};

namespace {

using state = otlp_exporter::state;

constexpr std::string_view user_agent = "tether-otlp-exporter/" TETHER_TRACE_VERSION;

// "Retry-After: <seconds>" (the HTTP-date form is rare for OTLP receivers and
// is answered with the usual backoff).
std::optional<std::chrono::milliseconds> retry_after(const http::client_response& r) {
  const std::optional<std::string_view> v = r.headers.get("retry-after");
  if (!v) {
    return std::nullopt;
  }
  unsigned seconds = 0;
  const auto res = std::from_chars(v->data(), v->data() + v->size(), seconds);
  if (res.ec != std::errc() || res.ptr != v->data() + v->size()) {
    return std::nullopt;
  }
  return std::chrono::seconds(std::min(seconds, 3600u));
}

std::chrono::milliseconds backoff(const otlp_options& o, int attempt) {
  thread_local std::minstd_rand jitter(std::random_device{}());
  double ms = static_cast<double>(o.initial_backoff.count());
  for (int i = 1; i < attempt; ++i) {
    ms *= 1.5;
  }
  ms = std::min(ms, static_cast<double>(o.max_backoff.count()));
  // +-20%, so that many exporters that failed together do not retry together.
  ms *= 0.8 + 0.4 * std::uniform_real_distribution<double>(0.0, 1.0)(jitter);
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

bool retryable(int status) noexcept { return status == 429 || status == 502 || status == 503 || status == 504; }

// Sends one batch, retrying what the specification says may be retried.
promise<void> send_batch(std::shared_ptr<state> s, std::vector<span_data> batch) {
  const otlp_options& o = s->options;
  const bool json = o.protocol == otlp_options::encoding::json;
  http::fetch_options request;
  request.method = "POST";
  request.headers = o.headers;
  request.headers.set("content-type", json ? "application/json" : "application/x-protobuf");
  request.headers.set("user-agent", std::string(user_agent));
  request.body = json ? detail::encode_json(batch, s->resource) : detail::encode_protobuf(batch, s->resource);
  request.timeout = o.timeout;
  const auto n = static_cast<std::uint64_t>(batch.size());
  batch.clear();  // the body holds it now

  // The exporter's own requests are never traced, nor propagate a context.
  const trace::context quiet = trace::context().with_suppressed();
  for (int attempt = 1;; ++attempt) {
    std::optional<std::chrono::milliseconds> wait;
    bool done = false;
    {
      const std::lock_guard lock(s->mutex);
      ++s->stats.requests;
    }
    try {
      auto start = [&] { return http::fetch(o.endpoint, request); };
      promise<http::client_response> pending = quiet.run(start);
      const http::client_response r = co_await pending;
      if (r.status >= 200 && r.status < 300) {
        const detail::partial_success p =
            json ? detail::decode_json_response(r.body) : detail::decode_protobuf_response(r.body);
        const auto rejected = static_cast<std::uint64_t>(std::clamp<std::int64_t>(p.rejected_spans, 0, static_cast<std::int64_t>(n)));
        const std::lock_guard lock(s->mutex);
        s->stats.exported += n - rejected;
        s->stats.rejected += rejected;
        done = true;
      } else if (retryable(r.status) && attempt < o.max_attempts) {
        wait = retry_after(r).value_or(backoff(o, attempt));
      } else {
        done = true;
        const std::lock_guard lock(s->mutex);
        s->stats.failed += n;
      }
    } catch (...) {
      // The connection failed or timed out: retryable.
      if (attempt < o.max_attempts) {
        wait = backoff(o, attempt);
      } else {
        done = true;
        const std::lock_guard lock(s->mutex);
        s->stats.failed += n;
      }
    }
    if (done) {
      co_return;
    }
    {
      const std::lock_guard lock(s->mutex);
      ++s->stats.retries;
    }
    promise<void> pause = delay(*wait);
    co_await pause;
  }
}

// Sender thread: starts the next batch if none is in flight and one is due
// (a full batch, a flush, or the schedule's tick when `on_schedule`).
void send_next(const std::shared_ptr<state>& s, bool on_schedule) {
  std::vector<span_data> batch;
  {
    std::unique_lock lock(s->mutex);
    s->wake_posted = false;
    if (s->sending) {
      return;  // the batch in flight calls us again when it is done
    }
    const std::size_t max = s->options.max_export_batch_size;
    if (s->queue.empty() || (!on_schedule && !s->flushing && s->queue.size() < max)) {
      if (s->idle_now()) {
        s->flushing = false;
        s->idle.notify_all();
      }
      return;
    }
    const std::size_t take = std::min(max, s->queue.size());
    batch.reserve(take);
    for (std::size_t i = 0; i < take; ++i) {
      batch.push_back(std::move(s->queue.front()));
      s->queue.pop_front();
    }
    s->sending = true;
  }
  promise<void> sent = send_batch(s, std::move(batch));
  auto next = [s] {
    {
      const std::lock_guard lock(s->mutex);
      s->sending = false;
    }
    send_next(s, false);
  };
  (void)sent.finally(std::move(next));
}

void send_next(const std::shared_ptr<state>& s) { send_next(s, false); }

// Any thread: have the sender loop look at the queue (one post at a time).
void wake(const std::shared_ptr<state>& s, std::unique_lock<std::mutex>& lock) {
  if (s->wake_posted) {
    return;
  }
  s->wake_posted = true;
  const loop_executor sender = s->sender;
  lock.unlock();
  if (!sender.post([s] { send_next(s); })) {
    lock.lock();
    s->wake_posted = false;  // the loop is gone or full: nothing will come
    s->idle.notify_all();
    return;
  }
  lock.lock();
}

void sender_thread(std::shared_ptr<state> s, std::promise<void> started) {
  event_loop loop;
  {
    const std::lock_guard lock(s->mutex);
    s->sender = loop.executor();
    s->hold = loop.hold();
  }
  // unref'd: the hold, not the schedule, decides when the loop ends.
  timeout schedule = set_interval([s] { send_next(s, true); }, s->options.schedule_delay);
  schedule.unref();
  started.set_value();
  try {
    loop.run();
  } catch (const std::exception& e) {
    // Nothing of ours throws out of the loop; if something did, spans are
    // dropped from now on (counted), the program goes on.
    tether::debug("tether::trace::otlp_exporter: the sender stopped:", e.what());
  }
}

}  // namespace

otlp_exporter::otlp_exporter(otlp_options options) : state_(std::make_shared<state>()) {
  if (options.endpoint.rfind("http://", 0) != 0) {
    throw usage_error("tether::trace::otlp_exporter: endpoint \"" + options.endpoint +
                      "\" is not an http:// URL (https is not supported: send to a collector "
                      "on loopback)");
  }
  if (options.max_queue_size == 0 || options.max_export_batch_size == 0 || options.max_attempts < 1) {
    throw usage_error("tether::trace::otlp_exporter: max_queue_size, max_export_batch_size and "
                      "max_attempts must be at least 1");
  }
  state_->resource.attributes.push_back({"service.name", options.service_name});
  state_->resource.attributes.push_back({"telemetry.sdk.name", std::string("tether")});
  state_->resource.attributes.push_back({"telemetry.sdk.language", std::string("cpp")});
  state_->resource.attributes.push_back({"telemetry.sdk.version", std::string(TETHER_TRACE_VERSION)});
  for (attribute& a : options.resource_attributes) {
    if (a.key != "service.name") {
      state_->resource.attributes.push_back(std::move(a));
    }
  }
  state_->resource.scope_version = TETHER_TRACE_VERSION;
  state_->options = std::move(options);
  std::promise<void> started;
  std::future<void> ready = started.get_future();
  state_->thread = std::thread(sender_thread, state_, std::move(started));
  ready.wait();
}

otlp_exporter::~otlp_exporter() {
  flush();
  loop_hold hold;
  {
    const std::lock_guard lock(state_->mutex);
    hold = std::move(state_->hold);
  }
  hold.release();  // run() returns once nothing is in flight
  state_->thread.join();
}

void otlp_exporter::on_end(span_data&& span) noexcept {
  std::unique_lock lock(state_->mutex);
  if (state_->queue.size() >= state_->options.max_queue_size) {
    ++state_->stats.dropped;
    return;
  }
  try {
    state_->queue.push_back(std::move(span));
  } catch (...) {
    ++state_->stats.dropped;
    return;
  }
  if (state_->queue.size() >= state_->options.max_export_batch_size) {
    wake(state_, lock);
  }
}

void otlp_exporter::flush() noexcept {
  std::unique_lock lock(state_->mutex);
  if (state_->idle_now()) {
    return;
  }
  state_->flushing = true;
  wake(state_, lock);
  // Bounded: every attempt of every batch ends (answer, timeout or failure).
  const otlp_options& o = state_->options;
  const auto batches = static_cast<long>(state_->queue.size() / o.max_export_batch_size + 2);
  const auto limit = batches * o.max_attempts * (o.timeout + o.max_backoff);
  state_->idle.wait_for(lock, limit, [&] { return state_->idle_now(); });
}

otlp_stats otlp_exporter::stats() const {
  const std::lock_guard lock(state_->mutex);
  return state_->stats;
}

}  // namespace tether::trace
