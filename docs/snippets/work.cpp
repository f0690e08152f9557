// docs/work.md: queue_work runs a function on libuv's thread pool; the result
// comes back on the loop thread, in the context of the call.
#include <tether/async_local_storage.hpp>
#include <tether/debug.hpp>
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>
#include <tether/work.hpp>

#include <cstdint>
#include <exception>
#include <string>
#include <thread>
#include <utility>

tether::async_local_storage<std::string> request_id;

std::uint64_t checksum(const std::string& data) {
  std::uint64_t sum = 0;
  for (const char c : data) {
    sum = sum * 31 + static_cast<unsigned char>(c);
  }
  return sum;
}

tether::promise<std::string> handle(std::string data) {
  const std::thread::id loop_thread = std::this_thread::get_id();
  // Named first: g++ 12 double-frees a lambda that owns its captures when
  // it is written inside the co_await (docs/coroutines.md).
  auto job = [data = std::move(data), loop_thread] {
    // On a pool thread, with the caller's context: the store is visible.
    const bool elsewhere = std::this_thread::get_id() != loop_thread;
    return std::to_string(checksum(data)) + (elsewhere ? " on the pool for " : " ?? ") + *request_id.get_store();
  };
  std::string result = co_await tether::queue_work(std::move(job));
  co_return result + ", back with " + *request_id.get_store();
}

int main() {
  tether::event_loop loop;
  std::string result;
  request_id.run("req-1", [&] {
    auto task = handle("abc").then([&](std::string s) { result = std::move(s); });
  });

  // The callback form: on_done(error, value) on the loop thread.
  std::string callback_result;
  tether::queue_work([] { return 6 * 7; }, [&](std::exception_ptr error, int v) {
    callback_result = error ? "failed" : std::to_string(v);
  });
  loop.run();
  tether::debug(result);           // 96354 on the pool for req-1, back with req-1
  tether::debug(callback_result);  // 42
  return result == "96354 on the pool for req-1, back with req-1" && callback_result == "42" ? 0 : 1;
}
