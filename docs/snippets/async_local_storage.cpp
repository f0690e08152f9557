// docs/async_local_storage.md: Node's AsyncLocalStorage, a store set once
// and read back in every callback scheduled while it was set, on any thread.
#include <tether/async_local_storage.hpp>
#include <tether/debug.hpp>
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>
#include <tether/work.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;

struct request_context {
  std::string id;
  std::string user;
};
tether::async_local_storage<request_context> current;  // one instance, for the whole program

std::vector<std::string> lines;
void log(const std::string& msg) {  // any layer can log "its" request without being handed it
  const request_context* c = current.get_store();
  lines.push_back((c != nullptr ? c->id + "/" + c->user : std::string("-")) + " " + msg);
}

tether::promise<> handle() {
  log("start");
  co_await tether::delay(1ms);
  log("after a timer");
  auto on_pool = [] {  // runs on a pool thread, in this request's context
    const request_context* c = current.get_store();
    return c != nullptr ? c->id : std::string("-");
  };
  const std::string seen = co_await tether::queue_work(on_pool);
  log("the pool saw " + seen);
}

int main() {
  tether::event_loop loop;
  std::vector<tether::promise<>> requests;
  current.run({"req-1", "ada"}, [&] { requests.push_back(handle()); });
  current.run({"req-2", "bob"}, [&] { requests.push_back(handle()); });
  tether::set_timeout([] { log("a timer scheduled outside run()"); }, 5ms);
  loop.run();

  for (const std::string& line : lines) {
    tether::debug(line);
  }
  // Each request's three lines carry its own store, whatever ran in between.
  std::vector<std::string> req1;
  for (const std::string& line : lines) {
    if (line.rfind("req-1/ada ", 0) == 0) {
      req1.push_back(line.substr(10));
    }
  }
  const std::vector<std::string> expected{"start", "after a timer", "the pool saw req-1"};
  const bool timer_saw_none =
      std::find(lines.begin(), lines.end(), "- a timer scheduled outside run()") != lines.end();
  return req1 == expected && lines.size() == 7 && timer_saw_none ? 0 : 1;
}
