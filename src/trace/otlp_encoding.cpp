// OTLP/HTTP request bodies: protobuf and JSON (see otlp_encoding.hpp).

#include "trace/otlp_encoding.hpp"

#include <protozero/pbf_reader.hpp>
#include <protozero/pbf_writer.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>

namespace tether::trace::detail {

namespace {

std::uint64_t unix_nanos(std::chrono::system_clock::time_point t) noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

// OTLP's SpanKind counts from UNSPECIFIED = 0; the API's starts at INTERNAL.
int otlp_kind(span_kind k) noexcept { return static_cast<int>(k) + 1; }

// Span.flags: the W3C flags in the low byte, bit 8 "is_remote is known",
// bit 9 "the parent is remote".
std::uint32_t otlp_flags(const span_data& s) noexcept {
  std::uint32_t f = s.context.flags | 0x100u;
  if (s.parent_remote) {
    f |= 0x200u;
  }
  return f;
}

// --- protobuf ------------------------------------------------------------------

template <std::size_t N>
void add_id(protozero::pbf_writer& w, protozero::pbf_tag_type tag, const std::array<std::uint8_t, N>& id) {
  w.add_bytes(tag, reinterpret_cast<const char*>(id.data()), N);
}

void add_key_value(protozero::pbf_writer& parent, protozero::pbf_tag_type tag, const attribute& a) {
  protozero::pbf_writer kv(parent, tag);
  kv.add_string(1, a.key);
  protozero::pbf_writer v(kv, 2);  // AnyValue
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) {
          v.add_string(1, x);
        } else if constexpr (std::is_same_v<T, bool>) {
          v.add_bool(2, x);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          v.add_int64(3, x);
        } else {
          v.add_double(4, x);
        }
      },
      a.value);
}

void add_span(protozero::pbf_writer& parent, const span_data& s) {
  protozero::pbf_writer w(parent, 2);  // ScopeSpans.spans
  add_id(w, 1, s.context.trace.bytes);
  add_id(w, 2, s.context.span.bytes);
  if (!s.context.trace_state.empty()) {
    w.add_string(3, s.context.trace_state);
  }
  if (s.parent.valid()) {
    add_id(w, 4, s.parent.bytes);
  }
  w.add_string(5, s.name);
  w.add_enum(6, otlp_kind(s.kind));
  w.add_fixed64(7, unix_nanos(s.start));
  w.add_fixed64(8, unix_nanos(s.end));
  for (const attribute& a : s.attributes) {
    add_key_value(w, 9, a);
  }
  if (s.dropped_attributes != 0) {
    w.add_uint32(10, s.dropped_attributes);
  }
  for (const span_event& e : s.events) {
    protozero::pbf_writer ev(w, 11);
    ev.add_fixed64(1, unix_nanos(e.time));
    ev.add_string(2, e.name);
    for (const attribute& a : e.attributes) {
      add_key_value(ev, 3, a);
    }
  }
  if (s.dropped_events != 0) {
    w.add_uint32(12, s.dropped_events);
  }
  if (s.status != status_code::unset) {
    protozero::pbf_writer st(w, 15);
    if (!s.status_message.empty()) {
      st.add_string(2, s.status_message);
    }
    st.add_enum(3, static_cast<int>(s.status));
  }
  w.add_fixed32(16, otlp_flags(s));
}

// --- JSON ----------------------------------------------------------------------

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;  // UTF-8 passes through
        }
    }
  }
  out += '"';
}

template <class T>
void append_number(std::string& out, T v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// 64-bit integers as decimal strings (JavaScript readers lose precision past 2^53).
template <class T>
void append_int64_string(std::string& out, T v) {
  out += '"';
  append_number(out, v);
  out += '"';
}

void append_any_value(std::string& out, const attribute_value& value) {
  out += '{';
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) {
          out += "\"stringValue\":";
          append_json_string(out, x);
        } else if constexpr (std::is_same_v<T, bool>) {
          out += x ? "\"boolValue\":true" : "\"boolValue\":false";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          out += "\"intValue\":";
          append_int64_string(out, x);
        } else if (std::isfinite(x)) {
          out += "\"doubleValue\":";
          append_number(out, x);
        } else {
          // proto3 JSON spells non-finite doubles as strings.
          out += "\"doubleValue\":";
          out += std::isnan(x) ? "\"NaN\"" : (x > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        }
      },
      value);
  out += '}';
}

void append_attributes(std::string& out, const std::vector<attribute>& attrs) {
  out += '[';
  for (std::size_t i = 0; i < attrs.size(); ++i) {
    if (i != 0) {
      out += ',';
    }
    out += "{\"key\":";
    append_json_string(out, attrs[i].key);
    out += ",\"value\":";
    append_any_value(out, attrs[i].value);
    out += '}';
  }
  out += ']';
}

void append_span_json(std::string& out, const span_data& s) {
  out += "{\"traceId\":\"" + s.context.trace.to_hex() + "\",\"spanId\":\"" + s.context.span.to_hex() + '"';
  if (!s.context.trace_state.empty()) {
    out += ",\"traceState\":";
    append_json_string(out, s.context.trace_state);
  }
  if (s.parent.valid()) {
    out += ",\"parentSpanId\":\"" + s.parent.to_hex() + '"';
  }
  out += ",\"name\":";
  append_json_string(out, s.name);
  out += ",\"kind\":";
  append_number(out, otlp_kind(s.kind));
  out += ",\"startTimeUnixNano\":";
  append_int64_string(out, unix_nanos(s.start));
  out += ",\"endTimeUnixNano\":";
  append_int64_string(out, unix_nanos(s.end));
  out += ",\"attributes\":";
  append_attributes(out, s.attributes);
  out += ",\"droppedAttributesCount\":";
  append_number(out, s.dropped_attributes);
  out += ",\"events\":[";
  for (std::size_t i = 0; i < s.events.size(); ++i) {
    const span_event& e = s.events[i];
    out += i != 0 ? ",{" : "{";
    out += "\"timeUnixNano\":";
    append_int64_string(out, unix_nanos(e.time));
    out += ",\"name\":";
    append_json_string(out, e.name);
    out += ",\"attributes\":";
    append_attributes(out, e.attributes);
    out += '}';
  }
  out += "],\"droppedEventsCount\":";
  append_number(out, s.dropped_events);
  out += ",\"status\":{";
  if (!s.status_message.empty()) {
    out += "\"message\":";
    append_json_string(out, s.status_message);
    out += ',';
  }
  out += "\"code\":";
  append_number(out, static_cast<int>(s.status));
  out += "},\"flags\":";
  append_number(out, otlp_flags(s));
  out += '}';
}

}  // namespace

std::string encode_protobuf(std::span<const span_data> spans, const otlp_resource& resource) {
  std::string out;
  protozero::pbf_writer request(out);
  protozero::pbf_writer rs(request, 1);  // ExportTraceServiceRequest.resource_spans
  {
    protozero::pbf_writer res(rs, 1);  // ResourceSpans.resource
    for (const attribute& a : resource.attributes) {
      add_key_value(res, 1, a);
    }
  }
  protozero::pbf_writer ss(rs, 2);  // ResourceSpans.scope_spans
  {
    protozero::pbf_writer scope(ss, 1);
    scope.add_string(1, resource.scope_name);
    if (!resource.scope_version.empty()) {
      scope.add_string(2, resource.scope_version);
    }
  }
  for (const span_data& s : spans) {
    add_span(ss, s);
  }
  // Close the open submessages before `out` is returned (their destructors
  // would write into it after a copy was taken).
  ss.commit();
  rs.commit();
  return out;
}

std::string encode_json(std::span<const span_data> spans, const otlp_resource& resource) {
  std::string out = "{\"resourceSpans\":[{\"resource\":{\"attributes\":";
  append_attributes(out, resource.attributes);
  out += ",\"droppedAttributesCount\":0},\"scopeSpans\":[{\"scope\":{\"name\":";
  append_json_string(out, resource.scope_name);
  out += ",\"version\":";
  append_json_string(out, resource.scope_version);
  out += "},\"spans\":[";
  for (std::size_t i = 0; i < spans.size(); ++i) {
    if (i != 0) {
      out += ',';
    }
    append_span_json(out, spans[i]);
  }
  out += "]}]}]}";
  return out;
}

partial_success decode_protobuf_response(std::string_view body) noexcept {
  partial_success r;
  try {
    protozero::pbf_reader response(body.data(), body.size());
    while (response.next(1, protozero::pbf_wire_type::length_delimited)) {
      protozero::pbf_reader ps = response.get_message();
      while (ps.next()) {
        if (ps.tag() == 1 && ps.wire_type() == protozero::pbf_wire_type::varint) {
          r.rejected_spans = ps.get_int64();
        } else if (ps.tag() == 2 && ps.wire_type() == protozero::pbf_wire_type::length_delimited) {
          r.error_message = ps.get_string();
        } else {
          ps.skip();
        }
      }
    }
  } catch (...) {
    return {};  // not a response we can read: treat as plain success
  }
  return r;
}

partial_success decode_json_response(std::string_view body) noexcept {
  // Only "rejectedSpans" matters (a number or a decimal string); a full JSON
  // parser would buy nothing here.
  partial_success r;
  const std::size_t key = body.find("\"rejectedSpans\"");
  if (key == std::string_view::npos) {
    return r;
  }
  std::size_t i = body.find(':', key);
  if (i == std::string_view::npos) {
    return r;
  }
  ++i;
  while (i < body.size() && (body[i] == ' ' || body[i] == '"' || body[i] == '\t')) {
    ++i;
  }
  std::int64_t n = 0;
  const auto res = std::from_chars(body.data() + i, body.data() + body.size(), n);
  if (res.ec == std::errc()) {
    r.rejected_spans = n;
  }
  const std::size_t msg = body.find("\"errorMessage\"");
  if (msg != std::string_view::npos) {
    const std::size_t open = body.find('"', body.find(':', msg));
    const std::size_t close = open == std::string_view::npos ? open : body.find('"', open + 1);
    if (close != std::string_view::npos) {
      r.error_message = std::string(body.substr(open + 1, close - open - 1));
    }
  }
  return r;
}

}  // namespace tether::trace::detail
