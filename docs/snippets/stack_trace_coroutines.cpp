// docs/stack_trace.md: the await chain of a rejection three co_awaits deep.
#include <chrono>
#include <cstdio>
#include <exception>
#include <stdexcept>

#include <tether/event_loop.hpp>
#include <tether/promise.hpp>
#include <tether/stack_trace.hpp>

using namespace std::chrono_literals;

tether::promise<int> read_record() {
  co_await tether::delay(1ms);
  throw std::runtime_error("record 7 is truncated");
}

tether::promise<int> load_user() { co_return co_await read_record(); }

tether::promise<int> handle_request() { co_return co_await load_user(); }

int main() {
  tether::set_stack_trace_options({});
  tether::event_loop loop;
  tether::promise<int> request = handle_request();
  try {
    loop.run();  // nobody handles the rejection: run() throws
  } catch (const tether::unhandled_rejection& e) {
    const tether::async_trace trace = tether::async_trace_of(std::current_exception());
    std::fprintf(stderr, "%s\n%s", e.what(), tether::to_string(trace).c_str());
    int awaiters = 0;  // load_user's and handle_request's co_await
    for (const tether::async_hop& hop : trace.hops()) {
      awaiters += hop.what == tether::async_hop::kind::awaited_by ? 1 : 0;
    }
    return awaiters == 2 ? 0 : 1;
  }
  return 1;
}
