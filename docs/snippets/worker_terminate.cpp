// docs/worker.md: terminate() stops a worker busy in a loop that checks stop_requested().
#include <chrono>
#include <cstdint>

#include <tether/event_loop.hpp>
#include <tether/timers.hpp>
#include <tether/worker.hpp>

int main() {
  tether::event_loop loop;
  tether::worker w([] {
    std::uint64_t n = 0;
    while (!tether::this_worker::stop_requested()) {  // a long computation
      ++n;
    }
    return n > 0 ? 0 : 2;
  });
  int code = -1;
  w.on_exit([&](int c) { code = c; });
  tether::set_timeout([&] { (void)w.terminate(); }, std::chrono::milliseconds(10));
  loop.run();
  return code == 1 ? 0 : 1;  // terminated: 1, as in Node
}
