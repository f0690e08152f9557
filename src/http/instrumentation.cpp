// The process's HTTP instrumentation (see tether::http::instrumentation).

#include <atomic>

#include "http/instrumentation.hpp"

namespace tether::http {

namespace {
// Set once, usually before main (tether::trace's static initializer), and
// read per listen() and fetch(): relaxed is enough for a pointer to a
// static object, and costs a plain load.
std::atomic<instrumentation*> installed{nullptr};
}  // namespace

instrumentation* set_instrumentation(instrumentation* i) noexcept {
  return installed.exchange(i, std::memory_order_acq_rel);
}

instrumentation* detail::current_instrumentation() noexcept {
  return installed.load(std::memory_order_acquire);
}

}  // namespace tether::http
