// docs/worker.md: event_loop::post from another thread runs in the poster's context.
#include <string>
#include <thread>

#include <tether/async_local_storage.hpp>
#include <tether/event_loop.hpp>

int main() {
  tether::event_loop loop;
  tether::async_local_storage<std::string> request;
  tether::loop_hold hold = loop.hold();   // run() waits for the result
  std::string seen;
  std::thread pool_thread([&, back = loop.executor()] {
    request.run("req-7", [&] {            // this thread's context...
      back.post([&] {                     // ...is the POST's, on the loop
        const std::string* store = request.get_store();
        seen = store != nullptr ? *store : "none";
        hold.release();
      });
    });
  });
  loop.run();
  pool_thread.join();
  return seen == "req-7" ? 0 : 1;
}
