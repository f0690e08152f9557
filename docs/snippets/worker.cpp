// docs/worker.md: a worker squares a number sent through a message channel.
#include <cstdio>
#include <utility>

#include <tether/event_loop.hpp>
#include <tether/worker.hpp>

int main() {
  tether::event_loop loop;
  tether::message_channel<int> ch;
  tether::worker w(
      [](tether::message_port<int>& port) {  // on the worker's thread, its own loop
        port.on_message([&port](int n) { (void)port.post_message(n * n); });
      },
      std::move(ch.port2));                   // Node: workerData + transferList
  int answer = 0;
  ch.port1.on_message([&](int square) {
    std::printf("12 squared is %d\n", square);
    answer = square;
    ch.port1.close();                         // the worker's loop runs out of work
  });
  w.on_exit([](int code) { std::printf("worker exited with %d\n", code); });
  (void)ch.port1.post_message(12);
  loop.run();
  return answer == 144 && w.exit_code() == 0 ? 0 : 1;
}
