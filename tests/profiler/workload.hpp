#pragma once
// A recording of known shape for the converter and report tests (one
// thread: cross-thread recording is recorder_threads_test's): nested
// callbacks, a resource created in one callback and run later, a recursive chain, one resource still pending at the end and, with
// `with_loss`, a gap of dropped events.

#include <tether/profiler.hpp>

#include "profiler/recorder.hpp"
#include "profiler_test_support.hpp"

namespace tether::profiler::test {

struct workload_counts {
  std::size_t inits = 0, befores = 0, afters = 0, destroys = 0;
  std::uint64_t pending_id = 0;
  std::uint64_t dropped = 0;
};

inline workload_counts record_workload(const std::filesystem::path& path, bool with_loss = false) {
  workload_counts c;
  if (with_loss) detail::set_writer_stall_for_testing(std::chrono::milliseconds(150));
  start({.path = path.string(), .buffer_events = with_loss ? 256u : 1u << 16});
  auto pending = std::make_unique<op>("Pending");  // never destroyed before stop
  c.pending_id = pending->id();
  ++c.inits;
  {
    op server("Server");
    ++c.inits;
    std::unique_ptr<op> handoff;
    for (int request = 0; request < 20; ++request) {
      callback_scope s(server);
      ++c.befores;
      op req("Request");
      ++c.inits;
      {
        callback_scope r(req);
        ++c.befores;
        op chain("Chain");  // Chain -> Chain -> Chain folds into one bubble
        ++c.inits;
        {
          callback_scope cs(chain);
          ++c.befores;
          op next("Chain");
          ++c.inits;
          { callback_scope ns(next); ++c.befores; ++c.afters; }
          emit_destroy(next);
          ++c.destroys;
          ++c.afters;
        }
        emit_destroy(chain);
        ++c.destroys;
        if (request == 0) {
          handoff = std::make_unique<op>("Handoff");
          ++c.inits;
        }
        ++c.afters;
      }
      emit_destroy(req);
      ++c.destroys;
      ++c.afters;
    }
    {  // run later, from the top level
      callback_scope s(*handoff);
      ++c.befores;
      ++c.afters;
    }
    emit_destroy(*handoff);
    ++c.destroys;
    if (with_loss) {
      for (int k = 0; k < 5000; ++k) one_life("Burst");
    }
    emit_destroy(server);
    ++c.destroys;
  }
  c.dropped = stop().dropped;
  detail::set_writer_stall_for_testing(std::chrono::milliseconds(0));
  return c;
}

}  // namespace tether::profiler::test
