// A program with no profiler code at all: it only links tether::profiler.
// With TETHER_PROFILE set it must still record (autostart.cpp).
//   no_code [N]             N resources of type "NoCode", each run once
//   no_code --sleep         creates one, prints "ready", then sleeps (signal tests)

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <tether/async_hooks.hpp>

int main(int argc, char** argv) {
  const bool sleep_forever = argc > 1 && std::strcmp(argv[1], "--sleep") == 0;
  const int n = argc > 1 && !sleep_forever ? std::atoi(argv[1]) : 3;
  for (int i = 0; i < n; ++i) {
    tether::async_resource r("NoCode");
    r.run_in_async_scope([] {
      tether::async_resource inner("NoCodeInner");
      inner.run_in_async_scope([] {});
    });
  }
  if (sleep_forever) {
    tether::async_resource pending("NoCodePending");
    std::puts("ready");
    std::fflush(stdout);
    for (;;) {
      ::pause();
    }
  }
  return 0;
}
