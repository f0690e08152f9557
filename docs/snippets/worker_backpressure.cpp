// docs/worker.md: a bounded port: post_message says false when full, on_drain resumes.
#include <cstdint>
#include <functional>
#include <utility>

#include <tether/event_loop.hpp>
#include <tether/worker.hpp>

int main() {
  tether::event_loop loop;
  tether::message_channel<std::uint32_t> ch({.capacity = 1024});
  std::uint64_t sum = 0;
  tether::worker w(
      [&sum](tether::message_port<std::uint32_t>& port) {
        port.on_message([&sum](std::uint32_t v) { sum += v; });
      },
      std::move(ch.port2));
  std::uint32_t next = 0;
  std::function<void()> pump = [&] {
    while (next < 100'000) {
      if (!ch.port1.post_message(next)) {
        return;  // full: on_drain calls pump() again
      }
      ++next;
    }
    ch.port1.close();  // everything queued is still delivered, then the worker ends
  };
  ch.port1.on_drain(pump);
  pump();
  loop.run();  // the worker's exit: `sum` is final
  return sum == std::uint64_t{99'999} * 100'000 / 2 ? 0 : 1;
}
