// docs/async_hooks.md: Node's async_hooks overview example, ported: a hook
// that logs every event (with debug_to(1, ...), Node's fs.writeSync(1, ...),
// because logging from a hook must not create resources), the ids, and an
// async_resource (Node's AsyncResource).
#include <tether/async_hooks.hpp>
#include <tether/debug.hpp>
#include <tether/event_loop.hpp>
#include <tether/timers.hpp>

#include <unistd.h>

#include <string>
#include <vector>

int main() {
  std::vector<std::string> events;
  // Node: const hook = async_hooks.createHook({ init, before, after, destroy, promiseResolve }).enable();
  auto hook = tether::create_hook({
      .init = [&](tether::async_id id, std::string_view type, tether::async_id trigger, tether::resource&) {
        tether::debug_to(STDOUT_FILENO, "init", type, id, "trigger", trigger, "in", tether::execution_async_id());
        events.push_back("init " + std::string(type));
      },
      .before = [&](tether::async_id id) { events.push_back("before " + std::to_string(id)); },
      .after = [&](tether::async_id id) { events.push_back("after " + std::to_string(id)); },
      .destroy = [&](tether::async_id id) { events.push_back("destroy " + std::to_string(id)); },
  }).enable();

  tether::event_loop loop;
  tether::async_id in_timer = 0;
  tether::async_id trigger_in_timer = 0;
  tether::timeout t = tether::set_timeout([&] {
    in_timer = tether::execution_async_id();       // the Timeout's id
    trigger_in_timer = tether::trigger_async_id(); // 1: created at the top level
  });
  loop.run();

  // Node's AsyncResource: report your own asynchronous work.
  tether::async_resource query("DBQuery");
  query.run_in_async_scope([&] { tether::debug_to(STDOUT_FILENO, "query runs in", tether::execution_async_id()); });
  query.emit_destroy();

  const std::string timer = std::to_string(t.id());
  const std::string q = std::to_string(query.id());
  const std::vector<std::string> expected{"init Timeout", "before " + timer, "after " + timer, "destroy " + timer,
                                          "init DBQuery", "before " + q,     "after " + q,     "destroy " + q};
  return events == expected && in_timer == t.id() && trigger_in_timer == 1 ? 0 : 1;
}
