#pragma once
// Not API. OTLP trace export requests in both encodings OTLP/HTTP defines:
// protobuf (opentelemetry-proto's field numbers, written with Debian's
// protozero) and JSON (the proto3 JSON mapping with OTLP's deviations: hex
// ids, integer enums, 64-bit integers as decimal strings, lowerCamelCase).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tether/trace_exporter.hpp>

namespace tether::trace::detail {

/// What describes the process in every request (OTel's Resource + scope).
struct otlp_resource {
  std::vector<attribute> attributes;  // service.name first
  std::string scope_name = "tether";
  std::string scope_version;
};

std::string encode_protobuf(std::span<const span_data> spans, const otlp_resource& resource);
std::string encode_json(std::span<const span_data> spans, const otlp_resource& resource);

/// ExportTraceServiceResponse.partial_success: spans the receiver rejected
/// (0 when the body is empty or has none) and its message.
struct partial_success {
  std::int64_t rejected_spans = 0;
  std::string error_message;
};
/// Nothing readable in `body` reads as "no partial success".
partial_success decode_protobuf_response(std::string_view body) noexcept;
partial_success decode_json_response(std::string_view body) noexcept;

}  // namespace tether::trace::detail
