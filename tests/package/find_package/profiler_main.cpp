// Built against an installed tether by tests/package: a program with no
// profiler code that links tether::profiler, run with TETHER_PROFILE set,
// must leave a trace (the installed target keeps the autostart object).
#include <tether/async_hooks.hpp>

int main() {
  tether::async_resource r("PackageJob");
  r.run_in_async_scope([] {});
  return 0;
}
