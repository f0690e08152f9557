#pragma once
// The demo's own client: drives the server with concurrent keep-alive
// requests and checks every answer and every log line for context mix-ups.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <tether/promise.hpp>

#include "logger.hpp"

namespace demo {

struct load_options {
  std::uint16_t port = 0;
  std::size_t requests = 2000;
  std::size_t concurrency = 64;
};

struct load_report {
  std::size_t sent = 0;
  std::size_t answered = 0;       // 200 with a well-formed body
  std::size_t failed = 0;         // transport errors, other statuses
  std::size_t response_mixups = 0;  // a body naming another request's user or order
  std::size_t log_mixups = 0;       // a log line whose store names another order
  std::vector<double> latencies_ms;
  std::map<std::string, std::uint64_t> order_of;  // request_id -> order, from the answers
  double seconds = 0;
  std::vector<std::string> errors;  // the first few, for the summary
};

/// Sends opts.requests GET /orders/<n> with X-User, opts.concurrency at a
/// time, over one keep-alive pool; fills `report` (which must outlive it).
tether::promise<void> run_load(load_options opts, load_report& report);

/// Checks every log line against the answers: its store must name the order
/// the line is about, and that request id must be the one the server
/// answered for that order.
void check_log(const std::vector<log_line>& lines, load_report& report);

}  // namespace demo
