#pragma once
// What the tests of completions held back by an uncaught exception share
// (event_loop_test.cpp: fs and queue_work; net_held_back_test.cpp: sockets
// and DNS): a completion that libuv delivers in the rest of the loop turn in
// which a callback threw runs no user code then; it runs on the next run(),
// in its first turn's prepare phase (after the ticks left over and the
// timers, before the poll and check phases), or never if the loop is
// destroyed first (its resource still gets its destroy).

#include <gtest/gtest.h>

#include <poll.h>
#include <uv.h>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>

#include <tether/event_loop.hpp>
#include <tether/timers.hpp>

namespace tether::test {

/// What test callbacks throw: carries a value, so a test can tell which
/// exception run() rethrew.
struct test_error : std::runtime_error {
  explicit test_error(int v) : std::runtime_error("test_error " + std::to_string(v)), value(v) {}
  int value;
};

/// The value of the test_error run() throws (-1: it returned normally).
inline int run_error(event_loop& loop) {
  try {
    loop.run();
  } catch (const test_error& e) {
    return e.value;
  }
  return -1;
}

/// Blocks until libuv's next poll phase has something to deliver (the
/// loop's epoll fd is readable: the thread pool's wake-up, or a socket event).
inline void wait_for_pending_io(event_loop& loop) {
  pollfd p{uv_backend_fd(loop.native_handle()), POLLIN, 0};
  // An event wait, not a sleep: the 10 s only keep a broken test from hanging.
  ASSERT_EQ(::poll(&p, 1, 10'000), 1) << "no completion became ready";
}

/// A timer in the loop's third turn or later (after a poll phase: libuv
/// watches the thread pool's wake-up fd from its first poll phase on) runs
/// `release`, which makes a completion ready or starts an operation that
/// completes at once; then `wait` until libuv's next poll phase will deliver
/// it (by default: the loop's epoll fd is readable); queues a tick and an
/// immediate (mark("tick"), mark("immediate")) and throws test_error(8). The
/// completion then comes in the same loop turn. A socket request started in
/// a callback is watched from the next poll phase on, which may come after
/// this timer: call this from an immediate after it.
inline void throw_when_completion_is_ready(
    std::function<void(std::string)> mark, std::function<void()> release,
    std::function<void()> wait = [] { wait_for_pending_io(event_loop::current()); }) {
  using namespace std::chrono_literals;
  set_immediate([mark = std::move(mark), release = std::move(release),
                 wait = std::move(wait)]() mutable {
    set_timeout(
        [mark = std::move(mark), release = std::move(release), wait = std::move(wait)] {
          release();
          wait();
          next_tick([mark] { mark("tick"); });
          set_immediate([mark] { mark("immediate"); });
          throw test_error(8);
        },
        1ms);
  });
}

}  // namespace tether::test
