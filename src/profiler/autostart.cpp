// Zero-code activation: TETHER_PROFILE=<path> starts a recording before main
// in any program that links tether::profiler.
//
// tether::profiler is a static library, and a linker only takes an archive
// member that resolves an undefined symbol, so a program with no profiler
// call would never see this file. The target's INTERFACE link options carry
// -Wl,--undefined=tether_profiler_autostart (and the pkg-config file the same
// flag), which makes the linker take this object, and its static initializer
// with it.

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include <tether/profiler.hpp>

#include "profiler/recorder.hpp"

namespace tether::profiler::detail {
namespace {

std::size_t parse_size(const char* text, std::size_t fallback) {
  if (text == nullptr || *text == '\0') {
    return fallback;
  }
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0') {
    std::fprintf(stderr, "tether: profiler: ignoring TETHER_PROFILE_BUFFER=%s (not a number)\n", text);
    return fallback;
  }
  return static_cast<std::size_t>(v);
}

void start_from_environment() noexcept {
  const char* path = std::getenv("TETHER_PROFILE");
  if (path == nullptr || *path == '\0') {
    return;
  }
  try {
    options opts;
    opts.path = path;
    opts.buffer_events = parse_size(std::getenv("TETHER_PROFILE_BUFFER"), opts.buffer_events);
    start_session(opts, true);
  } catch (const std::exception& e) {
    // The program itself must still run: say why there is no trace.
    std::fprintf(stderr, "tether: profiler: TETHER_PROFILE=%s: %s; running without profiling\n", path, e.what());
  }
}

}  // namespace
}  // namespace tether::profiler::detail

extern "C" {
// The symbol the linker is told to keep (see above). Its value is unused.
extern const int tether_profiler_autostart;
const int tether_profiler_autostart = [] {
  tether::profiler::detail::start_from_environment();
  return 1;
}();
}
