// <tether/profiler.hpp>: the public functions.

#include <tether/profiler.hpp>

#include "profiler/recorder.hpp"

namespace tether::profiler {

void start(const options& opts) { detail::start_session(opts, false); }

stats stop() { return detail::stop_session(format::end_reason::stopped, {}); }

bool running() noexcept { return detail::session_running(); }

stats current_stats() noexcept { return detail::session_stats(); }

std::string current_path() { return detail::session_path(); }

}  // namespace tether::profiler
