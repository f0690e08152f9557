// otlp_options::from_env: OpenTelemetry's standard exporter variables
// (opentelemetry-specification: protocol/exporter.md, configuration/sdk-environment-variables.md).

#include <tether/trace_exporter.hpp>

#include <charconv>
#include <cstdlib>
#include <stdexcept>

namespace tether::trace {

namespace {

// The TRACES_ variant of an OTLP variable if set, else the general one.
std::optional<std::pair<std::string, std::string>> otlp_env(std::string_view suffix) {
  for (const std::string& name : {"OTEL_EXPORTER_OTLP_TRACES_" + std::string(suffix),
                                 "OTEL_EXPORTER_OTLP_" + std::string(suffix)}) {
    if (const char* v = std::getenv(name.c_str()); v != nullptr && *v != '\0') {
      return std::pair{name, std::string(v)};
    }
  }
  return std::nullopt;
}

std::uint64_t parse_count(const std::string& name, std::string_view v, std::string_view want) {
  std::uint64_t n = 0;
  const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size()) {
    throw std::invalid_argument(name + "=" + std::string(v) + ": want " + std::string(want));
  }
  return n;
}

std::string percent_decode(const std::string& name, std::string_view v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '%') {
      out += v[i];
      continue;
    }
    unsigned byte = 0;
    const auto r = i + 2 < v.size() ? std::from_chars(v.data() + i + 1, v.data() + i + 3, byte, 16)
                                    : std::from_chars_result{v.data(), std::errc::invalid_argument};
    if (r.ec != std::errc() || r.ptr != v.data() + i + 3) {
      throw std::invalid_argument(name + ": a bad percent escape at \"" + std::string(v.substr(i)) + "\"");
    }
    out += static_cast<char>(byte);
    i += 2;
  }
  return out;
}

// "k=v,k2=v2" (W3C-baggage-like lists, values percent-encoded).
std::vector<std::pair<std::string, std::string>> parse_pairs(const std::string& name, std::string_view v) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!v.empty()) {
    const std::size_t comma = v.find(',');
    std::string_view item = v.substr(0, comma);
    v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
    const auto trim = [](std::string_view s) {
      while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
      while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
      return s;
    };
    item = trim(item);
    if (item.empty()) {
      continue;
    }
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || trim(item.substr(0, eq)).empty()) {
      throw std::invalid_argument(name + ": \"" + std::string(item) + "\" is not key=value");
    }
    out.emplace_back(percent_decode(name, trim(item.substr(0, eq))),
                     percent_decode(name, trim(item.substr(eq + 1))));
  }
  return out;
}

}  // namespace

otlp_options otlp_options::from_env() {
  otlp_options o;
  if (const char* traces = std::getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); traces != nullptr && *traces != '\0') {
    o.endpoint = traces;  // a signal-specific endpoint is used as is
  } else if (const char* base = std::getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); base != nullptr && *base != '\0') {
    std::string b = base;
    if (b.empty() || b.back() != '/') {
      b += '/';
    }
    o.endpoint = b + "v1/traces";
  }
  if (auto p = otlp_env("PROTOCOL")) {
    if (p->second == "http/protobuf") {
      o.protocol = encoding::protobuf;
    } else if (p->second == "http/json") {
      o.protocol = encoding::json;
    } else {
      throw std::invalid_argument(p->first + "=" + p->second +
                                  ": want http/protobuf or http/json (grpc is not supported)");
    }
  }
  if (auto h = otlp_env("HEADERS")) {
    for (auto& [k, v] : parse_pairs(h->first, h->second)) {
      o.headers.set(std::move(k), std::move(v));
    }
  }
  if (auto t = otlp_env("TIMEOUT")) {
    o.timeout = std::chrono::milliseconds(parse_count(t->first, t->second, "milliseconds"));
  }
  if (const char* s = std::getenv("OTEL_SERVICE_NAME"); s != nullptr && *s != '\0') {
    o.service_name = s;
  }
  if (const char* r = std::getenv("OTEL_RESOURCE_ATTRIBUTES"); r != nullptr && *r != '\0') {
    for (auto& [k, v] : parse_pairs("OTEL_RESOURCE_ATTRIBUTES", r)) {
      if (k == "service.name" && std::getenv("OTEL_SERVICE_NAME") == nullptr) {
        o.service_name = v;  // OTEL_SERVICE_NAME wins over it
      } else if (k != "service.name") {
        o.resource_attributes.push_back({std::move(k), std::move(v)});
      }
    }
  }
  const auto count = [](const char* name, auto& field, std::string_view want) {
    if (const char* v = std::getenv(name); v != nullptr && *v != '\0') {
      field = static_cast<std::remove_reference_t<decltype(field)>>(parse_count(name, v, want));
    }
  };
  count("OTEL_BSP_MAX_QUEUE_SIZE", o.max_queue_size, "a number of spans");
  count("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", o.max_export_batch_size, "a number of spans");
  std::uint64_t delay_ms = static_cast<std::uint64_t>(o.schedule_delay.count());
  count("OTEL_BSP_SCHEDULE_DELAY", delay_ms, "milliseconds");
  o.schedule_delay = std::chrono::milliseconds(delay_ms);
  return o;
}

}  // namespace tether::trace
