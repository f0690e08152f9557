// Unhandled promise rejections, Node's processPromiseRejections: the loop
// remembers each promise rejected with no handler (with the context frame
// current then) and, after the tick/microtask drain, reports those still
// unhandled. Promises only call track_rejection(); the reporting is the
// loop's, run from its drain (event_loop.cpp).

#include <tether/event_loop.hpp>

#include <cstddef>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include <tether/detail/promise_state.hpp>

#include "runtime/exception_what.hpp"
#include "runtime/loop_core.hpp"

namespace tether::detail {

void loop_core::track_rejection(promise_base& p) {
  note_exception(p.error);  // the context of the rejection, before it is gone
  add_ref(p);
  try {
    rejections_.push_back({&p, acquire_frame(tls.frame)});
  } catch (...) {
    release(&p);  // out of memory: the report is lost, nothing leaks
  }
}

namespace {

// What run() throws for a rejection nothing handled: an unhandled_rejection
// that carries the reason and the rejection's async trace, or the reason
// itself when even that cannot be built.
std::exception_ptr unhandled_report(const std::exception_ptr& reason) noexcept {
  std::exception_ptr report;
  try {
    report = std::make_exception_ptr(unhandled_rejection(
        reason, "tether: unhandled promise rejection: " +
                    exception_what(reason, "an exception not derived from std::exception")));
    note_exception(report, &reason);  // the report carries the rejection's trace
  } catch (...) {
    report = reason;
  }
  return report;
}

}  // namespace

bool loop_core::process_rejections() noexcept {
  if (rejections_.empty()) {
    return false;
  }
  bool reported = false;
  std::vector<rejection> batch;
  batch.swap(rejections_);
  std::size_t i = 0;
  for (; i < batch.size() && !stopping_; ++i) {
    rejection& r = batch[i];
    if (!r.promise->handled) {
      reported = true;
      // With the rejected promise as the current resource and the context
      // frame of the rejection, firing no before/after: Node runs its
      // 'unhandledRejection' listeners so. The same guard as callback_scope's.
      const resource_scope in_rejection(*r.promise, r.frame);
      const std::exception_ptr reason = r.promise->error;
      if (rejection_handler_) {
        try {
          rejection_handler_(reason);
        } catch (...) {
          uncaught(std::current_exception());
        }
      } else {
        uncaught(unhandled_report(reason));
      }
    }
    release_frame(r.frame);
    release(r.promise);
  }
  if (i < batch.size()) {
    // Stopped: the rest are reported on the next run(), before anything newer.
    // Only the reserve can throw, and then batch is untouched: the rest are
    // batch[i...], released below.
    try {
      std::vector<rejection> rest;
      rest.reserve(batch.size() - i + rejections_.size());
      rest.insert(rest.end(), batch.begin() + static_cast<std::ptrdiff_t>(i), batch.end());
      rest.insert(rest.end(), rejections_.begin(), rejections_.end());
      rejections_.swap(rest);
    } catch (...) {
      for (std::size_t j = i; j < batch.size(); ++j) {
        release_frame(batch[j].frame);
        release(batch[j].promise);
      }
    }
  }
  return reported;
}

void loop_core::drop_rejections() noexcept {
  std::vector<rejection> batch;
  batch.swap(rejections_);
  for (rejection& r : batch) {
    release_frame(r.frame);
    release(r.promise);
  }
}

}  // namespace tether::detail

namespace tether {

unhandled_rejection::unhandled_rejection(std::exception_ptr reason, const std::string& what)
    : std::runtime_error(what), reason_(std::move(reason)) {}

}  // namespace tether
