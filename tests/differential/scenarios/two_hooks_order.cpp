// Several hooks are called in the order they were enabled, for every event;
// disable() then enable() moves a hook to the end.
#include <string>
#include <string_view>

#include <tether/timers.hpp>

#include "trace.hpp"

namespace {
tether::async_hook make(std::string name) {
  tether::hook_callbacks cb;
  cb.init = [name](tether::async_id id, std::string_view type, tether::async_id, tether::resource&) {
    trace::write_line(trace::join(name, "init", type, trace::id{id}));
  };
  cb.before = [name](tether::async_id id) { trace::write_line(trace::join(name, "before", trace::id{id})); };
  cb.after = [name](tether::async_id id) { trace::write_line(trace::join(name, "after", trace::id{id})); };
  return tether::create_hook(std::move(cb));
}
}  // namespace

int main() {
  tether::event_loop loop;
  tether::async_hook a = make("note hook-a");
  tether::async_hook b = make("note hook-b");
  a.enable();
  b.enable();
  tether::next_tick([&a] {
    trace::log("tick; moving hook a to the end");
    a.disable();
    a.enable();
    tether::next_tick([] { trace::log("second tick"); });
  });
  loop.run();
}
