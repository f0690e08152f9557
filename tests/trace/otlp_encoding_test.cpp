// OTLP request bodies, checked by decoders that are not ours: protoc
// --decode (Debian's protobuf-compiler) against the documented schema for
// protobuf, and Node's JSON.parse plus OTLP/JSON's rules for JSON.
#include "trace/otlp_encoding.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace trace = tether::trace;
using ::testing::HasSubstr;

std::vector<trace::span_data> two_spans() {
  trace::span_data server;
  server.name = "GET /orders";
  server.kind = trace::span_kind::server;
  server.context = *trace::parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  server.context.remote = false;
  server.context.trace_state = "congo=t61rcWkgMzE";
  server.parent = *trace::span_id::from_hex("1111111111111111");
  server.parent_remote = true;
  server.start = std::chrono::system_clock::time_point(std::chrono::nanoseconds(1'796'609'854'874'000'000));
  server.end = server.start + std::chrono::milliseconds(3);
  server.attributes = {{"http.request.method", std::string("GET")},
                       {"http.response.status_code", std::int64_t{200}},
                       {"cache.hit", false},
                       {"ratio", 0.25}};
  server.events = {{"cache miss", server.start + std::chrono::milliseconds(1), {{"key", std::string("o-1")}}}};
  server.status = trace::status_code::error;
  server.status_message = "boom \"quoted\"\n";
  trace::span_data client = server;
  client.name = "GET";
  client.kind = trace::span_kind::client;
  client.context.span = *trace::span_id::from_hex("2222222222222222");
  client.parent = server.context.span;
  client.parent_remote = false;
  client.attributes = {};
  client.events = {};
  client.status = trace::status_code::unset;
  client.status_message.clear();
  return {server, client};
}

trace::detail::otlp_resource resource() {
  return {{{"service.name", std::string("orders")}}, "tether", "0.1.0"};
}

std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) {
    return out;
  }
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) {
    out.append(buf, n);
  }
  const int status = ::pclose(p);
  return status == 0 ? out : "exit status " + std::to_string(status) + ": " + out;
}

std::string temp_file(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(OtlpProtobuf, ProtocDecodesItWithTheDocumentedSchema) {
  const auto spans = two_spans();
  const std::string body = trace::detail::encode_protobuf(spans, resource());
  const std::string file = temp_file("otlp.pb", body);
  const std::string text = run(std::string(TETHER_PROTOC) + " --proto_path=" TETHER_TRACE_TEST_DIR
                               " --decode=otlp_subset.ExportTraceServiceRequest otlp_subset.proto < " + file +
                               " 2>&1");
  EXPECT_THAT(text, HasSubstr("key: \"service.name\""));
  EXPECT_THAT(text, HasSubstr("string_value: \"orders\""));
  EXPECT_THAT(text, HasSubstr("name: \"tether\""));
  EXPECT_THAT(text, HasSubstr("version: \"0.1.0\""));
  EXPECT_THAT(text, HasSubstr("name: \"GET /orders\""));
  EXPECT_THAT(text, HasSubstr("kind: SPAN_KIND_SERVER"));
  EXPECT_THAT(text, HasSubstr("kind: SPAN_KIND_CLIENT"));
  EXPECT_THAT(text, HasSubstr("trace_state: \"congo=t61rcWkgMzE\""));
  EXPECT_THAT(text, HasSubstr("start_time_unix_nano: 1796609854874000000"));
  EXPECT_THAT(text, HasSubstr("end_time_unix_nano: 1796609854877000000"));
  EXPECT_THAT(text, HasSubstr("int_value: 200"));
  EXPECT_THAT(text, HasSubstr("bool_value: false"));
  EXPECT_THAT(text, HasSubstr("double_value: 0.25"));
  EXPECT_THAT(text, HasSubstr("time_unix_nano: 1796609854875000000"));
  EXPECT_THAT(text, HasSubstr("code: STATUS_CODE_ERROR"));
  EXPECT_THAT(text, HasSubstr("flags: 769"));  // sampled | has is_remote | parent remote
  EXPECT_THAT(text, HasSubstr("flags: 257"));  // the client: parent local
  // ids as raw bytes: 4b f9 2f 35 ... (protoc prints them escaped)
  EXPECT_THAT(text, HasSubstr("trace_id: \"K\\371/5w\\263M\\246\\243\\316\\222\\235\\016\\016G6\""));
  EXPECT_THAT(text, HasSubstr("parent_span_id: \"\\021\\021\\021\\021\\021\\021\\021\\021\""));
}

TEST(OtlpProtobuf, PartialSuccessIsReadFromTheResponse) {
  const std::string file = temp_file("resp.txt", "partial_success { rejected_spans: 3 error_message: \"too old\" }");
  const std::string body = run(std::string(TETHER_PROTOC) + " --proto_path=" TETHER_TRACE_TEST_DIR
                               " --encode=otlp_subset.ExportTraceServiceResponse otlp_subset.proto < " + file);
  const auto r = trace::detail::decode_protobuf_response(body);
  EXPECT_EQ(r.rejected_spans, 3);
  EXPECT_EQ(r.error_message, "too old");
  EXPECT_EQ(trace::detail::decode_protobuf_response("").rejected_spans, 0);
  EXPECT_EQ(trace::detail::decode_protobuf_response("\xff\xff\xff").rejected_spans, 0);  // garbage
}

TEST(OtlpJson, NodeReadsItAndItFollowsOtlpJsonRules) {
  const auto spans = two_spans();
  const std::string file = temp_file("otlp.json", trace::detail::encode_json(spans, resource()));
  const std::string out = run("node " TETHER_TRACE_TEST_DIR "/check_otlp_json.js " + file + " 2>&1");
  EXPECT_EQ(out, "ok 2 spans\n");
}

TEST(OtlpJson, PartialSuccessIsReadFromTheResponse) {
  auto r = trace::detail::decode_json_response(R"({"partialSuccess":{"rejectedSpans":"5","errorMessage":"bad"}})");
  EXPECT_EQ(r.rejected_spans, 5);
  EXPECT_EQ(r.error_message, "bad");
  r = trace::detail::decode_json_response(R"({"partialSuccess":{"rejectedSpans": 2}})");
  EXPECT_EQ(r.rejected_spans, 2);
  EXPECT_EQ(trace::detail::decode_json_response("{}").rejected_spans, 0);
}

}  // namespace
