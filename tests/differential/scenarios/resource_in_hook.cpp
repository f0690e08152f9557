// A hook callback that creates async resources (a next_tick from `init`).
// DIFFERENCE "resources created inside hooks": in tether they are invisible
// to every hook (no init, before, after or destroy), so a hook can never
// recurse; the callback still runs, with an execution id no hook has seen.
// Node reports them (and recurses). Compared without TickObject events and
// without ids in log lines; resource_in_hook.tether.expected pins tether's
// trace.
// differential: ignore-types=TickObject log-ids=off
#include <string_view>

#include <tether/async_hooks.hpp>
#include <tether/event_loop.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::event_loop loop;
  tether::hook_callbacks cb;
  cb.init = [](tether::async_id, std::string_view type, tether::async_id, tether::resource&) {
    if (type == "Job") {
      tether::next_tick([] { trace::log("tick queued from an init hook"); });
    }
  };
  tether::async_hook h = tether::create_hook(std::move(cb));
  h.enable();
  tether::async_resource job("Job");
  job.run_in_async_scope([] { trace::log("in job"); });
  job.emit_destroy();
  loop.run();
}
