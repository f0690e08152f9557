// docs/stack_trace.md: attaching the trace of a throw site, and reading it back.
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <utility>

#include <tether/stack_trace.hpp>

bool logged_with_trace = false;

void load_config() {
  // The trace of this line, not of the catch below.
  tether::throw_with_async_trace(std::runtime_error("config: missing port"));
}

void log_error(const std::exception& e) {
  const tether::async_trace trace = tether::async_trace_of(std::current_exception());
  std::fprintf(stderr, "%s\n%s", e.what(), tether::to_string(trace).c_str());
  logged_with_trace = !trace.empty();
}

void start() {
  try {
    load_config();
  } catch (const std::exception& e) {
    log_error(e);
  }
}

std::exception_ptr remember(std::exception_ptr e) {
  return tether::with_async_trace(std::move(e));  // attaches the current trace
}

int main() {
  start();
  const std::exception_ptr e = remember(std::make_exception_ptr(std::logic_error("later")));
  return logged_with_trace && !tether::async_trace_of(e).empty() ? 0 : 1;
}
