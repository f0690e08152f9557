// async_resource: init in the constructor (trigger: the current id, or the
// one given), run_in_async_scope nests and restores the ids, returns the
// callback's value, and may run many times; emit_destroy ends it.
#include <tether/async_hooks.hpp>
#include <tether/event_loop.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::event_loop loop;
  tether::async_resource job("Job");
  tether::async_resource inner("Inner", {.trigger_async_id = job.id()});
  const int value = job.run_in_async_scope([&] {
    trace::log("in job");
    inner.run_in_async_scope([] { trace::log("in inner, inside job"); });
    trace::log("back in job");
    return 1729;
  });
  trace::log("returned", value);
  inner.run_in_async_scope([] { trace::log("in inner at top level"); });
  job.run_in_async_scope([] { trace::log("job again"); });
  inner.emit_destroy();
  job.emit_destroy();
  trace::log("done");
  loop.run();
}
