// Built against an installed tether by tests/package: proves the installed
// headers, library and tetherConfig.cmake are enough for a user program.
#include <tether/async_hooks.hpp>

int main() {
  // At the main thread's top level the execution id is 1 (design.md).
  return tether::execution_async_id() == 1 ? 0 : 1;
}
