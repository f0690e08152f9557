// tether::trace's side of tether::http: every request a server serves gets
// a SERVER span under the context its headers carry; every fetch a CLIENT
// span whose context it sends (OpenTelemetry's HTTP semantic conventions).
// Installed before main by a static initializer; linking tether::trace is
// the whole set-up (the target's link options keep this file in).

#include <tether/http.hpp>
#include <tether/trace.hpp>

namespace tether::trace {

namespace {

std::string_view protocol_version(const http::request& req) noexcept {
  return req.version_minor() == 0 ? "1.0" : "1.1";
}

promise<void> serve_traced(http::request& req, http::response& res, http::handler& next) {
  const trace::context parent = extract(current(), req.headers());
  span s = start_span(req.method(), span_kind::server, {.parent = parent});
  if (s.recording()) {
    s.set_attribute("http.request.method", std::string(req.method()));
    s.set_attribute("url.path", std::string(req.path()));
    if (!req.query().empty()) {
      s.set_attribute("url.query", std::string(req.query()));
    }
    s.set_attribute("url.scheme", std::string("http"));
    s.set_attribute("network.protocol.version", std::string(protocol_version(req)));
    if (const std::string_view ua = req.header("user-agent"); !ua.empty()) {
      s.set_attribute("user_agent.original", std::string(ua));
    }
  }
  // The handler, and everything it starts, runs with the span current.
  const trace::context in_span = s.as_context();
  std::exception_ptr failure;
  try {
    auto call = [&] { return next(req, res); };
    promise<void> handled = in_span.run(call);
    co_await handled;
  } catch (...) {
    failure = std::current_exception();
  }
  // A handler that failed before answering gets a 500 from the server.
  const int status = failure && !res.headers_sent() ? 500 : res.status();
  s.set_attribute("http.response.status_code", std::int64_t{status});
  if (failure || status >= 500) {
    s.set_status(status_code::error);
  }
  s.end();
  if (failure) {
    std::rethrow_exception(failure);
  }
}

promise<http::client_response> fetch_traced(std::string url, http::fetch_options options,
                                            http::instrumentation::send_function send) {
  span s = start_span(options.method, span_kind::client);
  if (s.recording()) {
    s.set_attribute("http.request.method", options.method);
    s.set_attribute("url.full", url);
  }
  const trace::context in_span = s.as_context();
  inject(in_span, options.headers);  // set, never add: one traceparent
  try {
    auto call = [&] { return send(std::move(url), std::move(options)); };
    promise<http::client_response> sent = in_span.run(call);
    http::client_response r = co_await sent;
    s.set_attribute("http.response.status_code", std::int64_t{r.status});
    if (r.status >= 400) {
      s.set_status(status_code::error);
    }
    s.end();
    co_return r;
  } catch (const std::exception& e) {
    s.set_attribute("error.type", std::string("connection"));
    s.set_status(status_code::error, e.what());
    s.end();
    throw;
  }
}

class http_tracing final : public http::instrumentation {
 public:
  promise<void> serve(http::request& req, http::response& res, http::handler& next) override {
    return serve_traced(req, res, next);
  }

  promise<http::client_response> fetch(std::string url, http::fetch_options options,
                                       send_function send) override {
    if (current().suppressed()) {
      return send(std::move(url), std::move(options));  // an exporter's own request
    }
    return fetch_traced(std::move(url), std::move(options), send);
  }
};

http_tracing instance;

[[maybe_unused]] const bool installed = [] {
  http::set_instrumentation(&instance);
  return true;
}();

}  // namespace

}  // namespace tether::trace

/// Referenced by the tether::trace target's link options (--undefined), so
/// that a static link keeps this file and its initializer.
extern "C" void tether_trace_http_anchor() {}
