#pragma once
// tether::trace: request context across processes. W3C Trace Context
// (`traceparent`, `tracestate`) and W3C Baggage, a trace::context held in one
// public async_local_storage (so it follows every async hop tether follows),
// and spans that an exporter (<tether/trace_exporter.hpp>) sends to any
// OpenTelemetry backend over OTLP.
//
//   auto span = tether::trace::start_span("load order", tether::trace::span_kind::internal);
//   co_await span.run([&]() -> tether::promise<void> { ... });  // children see it
//   span.end();
//
// The HTTP server and client (tether::http) extract and inject the headers
// by themselves once this layer is linked and an exporter or
// trace::enable_propagation() is active (docs/trace.md).
//
// Thread safety: parsing, formatting and the value types are thread-
// compatible; current(), start_span() and span methods may be called from
// any thread (a span's methods from one thread at a time).

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <tether/async_local_storage.hpp>

namespace tether::trace {

// --- ids ---------------------------------------------------------------------

/// 16 bytes; all zero is invalid (W3C).
struct trace_id {
  std::array<std::uint8_t, 16> bytes{};
  bool valid() const noexcept;
  /// 32 lowercase hex digits.
  std::string to_hex() const;
  /// Exactly 32 lowercase hex digits, not all zero.
  static std::optional<trace_id> from_hex(std::string_view hex) noexcept;
  /// A fresh random id (a per-thread generator seeded from the OS).
  static trace_id random() noexcept;
  friend bool operator==(const trace_id&, const trace_id&) = default;
};

/// 8 bytes; all zero is invalid (W3C).
struct span_id {
  std::array<std::uint8_t, 8> bytes{};
  bool valid() const noexcept;
  std::string to_hex() const;
  static std::optional<span_id> from_hex(std::string_view hex) noexcept;
  static span_id random() noexcept;
  friend bool operator==(const span_id&, const span_id&) = default;
};

/// trace-flags bits (W3C): test them with masks, never by equality.
inline constexpr std::uint8_t flag_sampled = 0x01;
inline constexpr std::uint8_t flag_random = 0x02;  // Trace Context Level 2

/// What crosses a process boundary about one span.
struct span_context {
  trace_id trace;
  span_id span;
  std::uint8_t flags = 0;
  /// The tracestate list, normalised ("k=v,k2=v2"); empty when none.
  std::string trace_state;
  /// Extracted from an incoming request (not created here).
  bool remote = false;

  /// Both ids valid.
  bool valid() const noexcept { return trace.valid() && span.valid(); }
  bool sampled() const noexcept { return (flags & flag_sampled) != 0; }
  friend bool operator==(const span_context&, const span_context&) = default;
};

// --- W3C Trace Context ---------------------------------------------------------

/// Parses one `traceparent` value (surrounding spaces and tabs allowed).
/// Nothing for anything the W3C rules reject: version ff, version 00 with
/// more after the flags, uppercase or non-hex digits, wrong lengths, an
/// all-zero trace or parent id. A higher version is read as 00 if it starts
/// like one (and is always sent back as 00). The result has `remote` set and
/// an empty trace_state.
std::optional<span_context> parse_traceparent(std::string_view value) noexcept;

/// "00-<trace>-<span>-<flags>", lowercase, 55 characters.
std::string format_traceparent(const span_context& c);

/// Combines the `tracestate` field lines of one message (in order) into the
/// normalised list "k=v,k2=v2". Nothing (drop the whole tracestate) when any
/// member is invalid, a key repeats, or there are more than 32 members.
/// Empty members are skipped. A list over 512 characters is shortened by
/// whole members: those over 128 characters first, then from the right.
std::optional<std::string> parse_tracestate(std::span<const std::string_view> lines);

// --- W3C Baggage ---------------------------------------------------------------

/// One baggage member: a token key, a value (percent-decoded) and its
/// properties as received (";"-separated, kept verbatim).
struct baggage_entry {
  std::string key;
  std::string value;
  std::string properties;
  friend bool operator==(const baggage_entry&, const baggage_entry&) = default;
};

/// An ordered list of baggage members with unique keys. A value type.
class baggage {
 public:
  /// Limits every member that is propagated must fit (W3C: at least these).
  static constexpr std::size_t max_members = 64;
  static constexpr std::size_t max_bytes = 8192;

  baggage() = default;

  /// The value of `key`, or nothing.
  std::optional<std::string_view> get(std::string_view key) const noexcept;
  /// Sets `key` (replacing its value in place, or appending). Throws
  /// std::invalid_argument when `key` is not an HTTP token.
  baggage& set(std::string key, std::string value, std::string properties = {});
  /// Removes `key`; false if it was not there.
  bool remove(std::string_view key) noexcept;

  const std::vector<baggage_entry>& entries() const noexcept { return entries_; }
  bool empty() const noexcept { return entries_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }

  /// Parses the `baggage` field lines of one message. Malformed members
  /// (a bad key, a bad percent escape, no "=") are dropped, the rest kept;
  /// beyond 64 members or 8192 bytes whole members are dropped from the
  /// right. A repeated key keeps its last value.
  static baggage parse(std::span<const std::string_view> lines);
  /// The header value: values percent-encoded where the grammar requires,
  /// at most 64 members and 8192 bytes (whole members dropped from the right).
  std::string format() const;

  friend bool operator==(const baggage&, const baggage&) = default;

 private:
  std::vector<baggage_entry> entries_;
};

// --- spans --------------------------------------------------------------------

/// OpenTelemetry's SpanKind.
enum class span_kind : std::uint8_t { internal, server, client, producer, consumer };
/// OpenTelemetry's StatusCode.
enum class status_code : std::uint8_t { unset, ok, error };

/// An attribute value: OpenTelemetry's AnyValue scalars.
using attribute_value = std::variant<std::string, bool, std::int64_t, double>;

struct attribute {
  std::string key;
  attribute_value value;
};

namespace detail {
struct span_record;
struct context_state;
}  // namespace detail

/// The request context that crosses processes: the active span's context,
/// baggage, and whether tracing is suppressed (an exporter's own requests).
/// Immutable and cheap to copy (one shared pointer).
class context {
 public:
  /// The root context: no span, no baggage.
  context() noexcept = default;

  /// The active span's context (invalid at the root).
  const span_context& span() const noexcept;
  const trace::baggage& baggage() const noexcept;
  /// Spans started here record nothing and the HTTP client injects nothing.
  bool suppressed() const noexcept;

  context with_span(span_context s) const;
  context with_baggage(trace::baggage b) const;
  context with_suppressed(bool on = true) const;

  /// Runs f(args...) with this context current (in trace::storage()).
  template <class F, class... A>
  decltype(auto) run(F&& f, A&&... args) const;

 private:
  static context make(detail::context_state&& s);
  std::shared_ptr<const detail::context_state> state_;
};

/// The one storage that holds the current trace::context. Public so that
/// other libraries can read or bind it (OpenTelemetry JS keeps its own
/// private; opentelemetry-js#6088 asks for this).
async_local_storage<context>& storage() noexcept;

/// The current context, or the root one.
const context& current() noexcept;

template <class F, class... A>
decltype(auto) context::run(F&& f, A&&... args) const {
  return storage().run(*this, std::forward<F>(f), std::forward<A>(args)...);
}

struct span_options {
  /// The parent; default: current().
  std::optional<context> parent{};
  std::vector<attribute> attributes{};
  /// Start time; default: now.
  std::optional<std::chrono::system_clock::time_point> start{};
};

/// One operation of a trace. Move-only. A span that is not ended when
/// destroyed is ended then. When nothing exports (no exporter, or the
/// sampler said no) the span records nothing and costs about an id.
class span {
 public:
  span() noexcept = default;
  span(span&&) noexcept;
  span& operator=(span&&) noexcept;
  span(const span&) = delete;
  span& operator=(const span&) = delete;
  ~span();

  const span_context& context() const noexcept { return context_; }
  /// True while it records (sampled, exporter set, not ended).
  bool recording() const noexcept;

  span& set_attribute(std::string key, attribute_value value);
  span& add_event(std::string name, std::vector<attribute> attributes = {});
  span& set_status(status_code code, std::string message = {});
  /// Renames the span (an HTTP server span once the route is known).
  span& update_name(std::string name);
  /// Ends it (first call only); sends it to the exporter if it records.
  void end() noexcept;

  /// The context of this span: `parent` (the context it started in) with
  /// this span active. Run children in it.
  trace::context as_context() const;
  /// Runs f(args...) with this span active.
  template <class F, class... A>
  decltype(auto) run(F&& f, A&&... args) const {
    return as_context().run(std::forward<F>(f), std::forward<A>(args)...);
  }

 private:
  friend span start_span(std::string_view, span_kind, span_options);
  trace::context parent_;
  span_context context_;
  std::unique_ptr<detail::span_record> record_;  // null: not recording
};

/// Starts a span as a child of the current context (or options.parent).
span start_span(std::string_view name, span_kind kind = span_kind::internal,
                span_options options = {});

// --- HTTP header propagation -----------------------------------------------------

/// A context from a message's header lines: `traceparent` (exactly one valid
/// line, else none: a new trace starts), `tracestate` (only with a valid
/// traceparent) and `baggage`. `get_all(name)` returns every line of a field.
template <class Headers>
context extract(const context& base, const Headers& h);

/// The headers to send for `c`: traceparent (when its span is valid),
/// tracestate (when not empty), baggage (when not empty); nothing at all
/// when suppressed. `set(name, value)` must replace every line of `name`.
template <class Headers>
void inject(const context& c, Headers& h);

namespace detail {
context extract_lines(const context& base, std::span<const std::string_view> traceparent,
                      std::span<const std::string_view> tracestate,
                      std::span<const std::string_view> baggage_lines);
}  // namespace detail

template <class Headers>
context extract(const context& base, const Headers& h) {
  const std::vector<std::string_view> tp = h.get_all("traceparent");
  const std::vector<std::string_view> ts = h.get_all("tracestate");
  const std::vector<std::string_view> bg = h.get_all("baggage");
  return detail::extract_lines(base, tp, ts, bg);
}

template <class Headers>
void inject(const context& c, Headers& h) {
  if (c.suppressed()) {
    return;
  }
  if (c.span().valid()) {
    h.set("traceparent", format_traceparent(c.span()));
    if (!c.span().trace_state.empty()) {
      h.set("tracestate", c.span().trace_state);
    }
  }
  if (!c.baggage().empty()) {
    h.set("baggage", c.baggage().format());
  }
}

}  // namespace tether::trace
