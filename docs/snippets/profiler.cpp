// docs/profiler.md: recording a workload from code, and what stop() reports.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include <tether/event_loop.hpp>
#include <tether/profiler.hpp>
#include <tether/timers.hpp>

int main() {
  const std::string path = "/tmp/tether_doc_profiler." + std::to_string(::getpid()) + ".tether";
  tether::profiler::start({.path = path});  // throws usage_error / system_error
  {
    tether::event_loop loop;                 // the workload: ten timers
    for (int i = 0; i < 10; ++i) {
      tether::set_timeout([] {}, std::chrono::milliseconds(i));
    }
    loop.run();
  }
  const tether::profiler::stats s = tether::profiler::stop();  // flushed and closed
  std::printf("recorded %llu events (%llu dropped), %llu bytes, %zu thread(s)\n",
              static_cast<unsigned long long>(s.recorded),
              static_cast<unsigned long long>(s.dropped),
              static_cast<unsigned long long>(s.bytes_written), s.threads);
  std::remove(path.c_str());
  // Each timer is init, before, after, destroy: at least 40 events.
  return s.recorded >= 40 && s.dropped == 0 && s.bytes_written > 0 ? 0 : 1;
}
