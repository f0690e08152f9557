// docs/integration.md: a minimal run queue made async-hooks aware with the
// integration API, the way examples/custom_loop.cpp does it for a whole loop.
#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>
#include <tether/debug.hpp>
#include <tether/integration.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

/// One scheduled callback: a resource (so hooks see it, and it captures the
/// context of the code that posted it).
struct task : tether::resource {
  std::function<void()> fn;
};

class run_queue {
 public:
  void post(std::function<void()> fn) {
    auto t = std::make_unique<task>();
    t->fn = std::move(fn);
    tether::emit_init(*t, "QUEUED");  // init now, in the poster's context
    tasks_.push_back(std::move(t));
  }
  void run() {
    while (!tasks_.empty()) {
      std::unique_ptr<task> t = std::move(tasks_.front());
      tasks_.pop_front();
      try {
        tether::callback_scope scope(*t);  // before; the task's context installed
        t->fn();
      } catch (const std::exception& e) {  // after has fired, context restored
        tether::debug("uncaught:", e.what());
      }
      tether::emit_destroy(*t);  // once, after the last after
    }
  }

 private:
  std::deque<std::unique_ptr<task>> tasks_;
};

tether::async_local_storage<std::string> user;

int main() {
  std::string trace;
  auto hook = tether::create_hook({
      .init = [&](tether::async_id, std::string_view type, tether::async_id, tether::resource&) {
        trace += "init " + std::string(type) + "; ";
      },
      .before = [&](tether::async_id) { trace += "before; "; },
      .after = [&](tether::async_id) { trace += "after; "; },
      .destroy = [&](tether::async_id) { trace += "destroy; "; },
  }).enable();

  run_queue q;
  std::string seen;
  tether::async_id trigger = 0;
  user.run("ada", [&] {
    const tether::async_id poster = tether::execution_async_id();
    q.post([&, poster] {
      seen = *user.get_store();  // the poster's store, though run() is outside user.run()
      trigger = tether::trigger_async_id() == poster ? poster : 0;
    });
  });
  q.run();
  tether::debug(trace, "| user", seen);
  return trace == "init QUEUED; before; after; destroy; " && seen == "ada" && trigger == 1 ? 0 : 1;
}
