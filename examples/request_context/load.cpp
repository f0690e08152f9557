#include "load.hpp"

#include <chrono>
#include <exception>
#include <string_view>
#include <utility>

#include <tether/http.hpp>

namespace demo {

namespace {

struct load_state {
  load_options opts;
  load_report& report;
  tether::http::agent pool;
  std::size_t next = 0;
};

/// The value of `key=` in "request_id=req-1 user=u3 order=42 quote=...".
std::string_view field(std::string_view body, std::string_view key) {
  std::size_t at = body.find(key);
  if (at == std::string_view::npos) {
    return {};
  }
  body.remove_prefix(at + key.size());
  return body.substr(0, body.find(' '));
}

void note_error(load_report& r, std::string what) {
  ++r.failed;
  if (r.errors.size() < 5) {
    r.errors.push_back(std::move(what));
  }
}

tether::promise<void> worker(load_state& s) {
  while (s.next < s.opts.requests) {
    const std::size_t n = s.next++;
    const std::uint64_t order = 1 + (n * 7919) % 1000;
    const std::string user = "u" + std::to_string(n % 50);
    std::string url = "127.0.0.1:" + std::to_string(s.opts.port) + "/orders/" + std::to_string(order);
    tether::http::fetch_options options;
    options.headers.add("x-user", user);
    options.pool = &s.pool;

    ++s.report.sent;
    const auto start = std::chrono::steady_clock::now();
    tether::http::client_response res;
    try {
      res = co_await tether::http::fetch(std::move(url), std::move(options));
    } catch (const std::exception& e) {
      note_error(s.report, e.what());
      continue;
    }
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
    s.report.latencies_ms.push_back(took.count());

    if (res.status != 200) {
      note_error(s.report, "status " + std::to_string(res.status) + ": " + res.body);
      continue;
    }
    const std::string_view id = field(res.body, "request_id=");
    if (id.empty() || field(res.body, "user=") != user ||
        field(res.body, "order=") != std::to_string(order) ||
        res.headers.get("x-request-id").value_or("") != id ||
        !s.report.order_of.emplace(std::string(id), order).second) {
      ++s.report.response_mixups;
      continue;
    }
    ++s.report.answered;
  }
}

}  // namespace

tether::promise<void> run_load(load_options opts, load_report& report) {
  load_state state{opts, report, tether::http::agent(opts.concurrency), 0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<tether::promise<void>> workers;
  for (std::size_t i = 0; i < opts.concurrency; ++i) {
    workers.push_back(worker(state));
  }
  co_await tether::all(std::move(workers));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  state.pool.close_idle();
}

void check_log(const std::vector<log_line>& lines, load_report& report) {
  for (const log_line& line : lines) {
    auto answered = report.order_of.find(line.request_id);
    const bool ok = line.store_order == line.about_order &&
                    (answered == report.order_of.end() || answered->second == line.store_order);
    if (!ok) {
      ++report.log_mixups;
    }
  }
}

}  // namespace demo
