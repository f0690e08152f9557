// docs/perf_hooks.md: a histogram's percentiles.
#include <tether/perf_hooks.hpp>

int main() {
  auto h = tether::create_histogram();
  for (int i = 1; i <= 1000; ++i) {
    h.record(i);
  }
  return h.percentile(50) == 500 && h.percentile(99) == 990 && h.max() == 1000 ? 0 : 1;
}
