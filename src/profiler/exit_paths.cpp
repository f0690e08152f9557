// Every way a recorded program can end, flushed without the runtime knowing
// about the profiler:
//   return from main / exit()      atexit handler
//   quick_exit()                   at_quick_exit handler
//   uncaught exception             std::terminate handler (event_loop::run()
//                                  rethrows a callback's exception; uncaught,
//                                  it ends here), then the previous handler
//   SIGINT / SIGTERM / SIGABRT     a handler that has the writer flush, then
//                                  re-raises with the default action (only
//                                  installed for TETHER_PROFILE, and only
//                                  where the program kept the default)
//   fork()                         the child drops the parent's recording

#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>

#include "profiler/recorder.hpp"

namespace tether::profiler::detail {
namespace {

std::terminate_handler previous_terminate = nullptr;

void on_exit() { stop_session(format::end_reason::exited, {}); }

[[noreturn]] void on_terminate() {
  std::string message = "std::terminate called";
  if (const std::exception_ptr e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      message = std::string("uncaught exception: ") + x.what();
    } catch (...) {
      message = "uncaught exception (not derived from std::exception)";
    }
  }
  try {
    stop_session(format::end_reason::terminated, message);
  } catch (...) {
  }
  if (previous_terminate != nullptr) {
    previous_terminate();
  }
  std::abort();
}

void on_signal(int signo) {
  // SA_RESETHAND already restored the default action; the signal is blocked
  // while this runs, so the raise() below is delivered when it returns.
  flush_from_signal(signo);
  ::raise(signo);
}

}  // namespace

void install_exit_paths(bool signals) {
  static std::once_flag once;
  std::call_once(once, [] {
    std::atexit(on_exit);
    std::at_quick_exit(on_exit);
    previous_terminate = std::set_terminate(on_terminate);
    ::pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
  });
  if (signals) {
    static std::once_flag signals_once;
    std::call_once(signals_once, [] {
      for (const int signo : {SIGINT, SIGTERM, SIGABRT}) {
        struct sigaction current {};
        if (::sigaction(signo, nullptr, &current) != 0 || current.sa_handler != SIG_DFL) {
          continue;  // the program handles it (or ignores it): leave it alone
        }
        struct sigaction action {};
        action.sa_handler = on_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = static_cast<int>(SA_RESETHAND);
        ::sigaction(signo, &action, nullptr);
      }
    });
  }
}

}  // namespace tether::profiler::detail
