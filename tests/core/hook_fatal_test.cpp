// An exception escaping a hook callback is fatal: exactly one line on stderr
// naming the callback, the resource type and id and the exception's what(),
// then abort. Node: async-hooks/test-callback-error.js,
// parallel/test-async-hooks-fatal-error.js.
#include <tether/async_hooks.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <stdexcept>
#include <string>

#include <tether/debug.hpp>
#include <tether/integration.hpp>

namespace {

using tether::async_hook;
using tether::async_id;
using tether::async_resource;
using tether::create_hook;
using tether::hook_callbacks;

class HookFatal : public ::testing::Test {
 protected:
  void SetUp() override {
    // Re-execute the binary for each death test rather than fork() a process
    // that may have threads: the hook registry is process-wide.
    GTEST_FLAG_SET(death_test_style, "threadsafe");
  }
};

/// The whole of stderr: one line, anchored at both ends (POSIX extended
/// regex, as gtest uses on Linux).
std::string fatal_line(const std::string& hook, const std::string& type, const std::string& what) {
  return "^tether: fatal: exception in async hook '" + hook + "' \\(resource type \"" + type +
         "\", id [0-9]+\\): " + what + "\n$";
}

[[noreturn]] void boom() { throw std::runtime_error("boom"); }

// Each statement enables a hook whose one callback throws, then drives a
// resource through its whole life so the event is sure to happen.
void drive(const char* type) {
  async_resource r(type);
  r.run_in_async_scope([] {});
  tether::emit_promise_resolve(r);
  r.emit_destroy();
}

TEST_F(HookFatal, ExceptionInInitAborts) {
  EXPECT_EXIT(
      {
        async_hook h = create_hook(
            {.init = [](async_id, std::string_view, async_id, tether::resource&) { boom(); }});
        h.enable();
        drive("Job");
      },
      ::testing::KilledBySignal(SIGABRT), fatal_line("init", "Job", "boom"));
}

TEST_F(HookFatal, ExceptionInBeforeAborts) {
  EXPECT_EXIT(
      {
        async_hook h = create_hook({.before = [](async_id) { boom(); }});
        h.enable();
        drive("Job");
      },
      ::testing::KilledBySignal(SIGABRT), fatal_line("before", "Job", "boom"));
}

TEST_F(HookFatal, ExceptionInAfterAborts) {
  EXPECT_EXIT(
      {
        async_hook h = create_hook({.after = [](async_id) { boom(); }});
        h.enable();
        drive("Job");
      },
      ::testing::KilledBySignal(SIGABRT), fatal_line("after", "Job", "boom"));
}

TEST_F(HookFatal, ExceptionInDestroyAborts) {
  EXPECT_EXIT(
      {
        async_hook h = create_hook({.destroy = [](async_id) { boom(); }});
        h.enable();
        drive("Job");
      },
      ::testing::KilledBySignal(SIGABRT), fatal_line("destroy", "Job", "boom"));
}

TEST_F(HookFatal, ExceptionInDestroyFromTheDestructorAborts) {
  EXPECT_EXIT(
      {
        async_hook h = create_hook({.destroy = [](async_id) { boom(); }});
        h.enable();
        async_resource r("Job");
      },
      ::testing::KilledBySignal(SIGABRT), fatal_line("destroy", "Job", "boom"));
}

TEST_F(HookFatal, ExceptionInPromiseResolveAborts) {
  struct fake_promise : tether::resource {};
  EXPECT_EXIT(
      {
        async_hook h = create_hook({.promise_resolve = [](async_id) { boom(); }});
        h.enable();
        fake_promise p;
        tether::emit_init(p, "PROMISE");
        tether::emit_promise_resolve(p);
      },
      ::testing::KilledBySignal(SIGABRT), fatal_line("promise_resolve", "PROMISE", "boom"));
}

TEST_F(HookFatal, NonStandardExceptionIsReportedAsUnknown) {
  EXPECT_EXIT(
      {
        async_hook h = create_hook({.before = [](async_id) { throw 42; }});
        h.enable();
        drive("Job");
      },
      ::testing::KilledBySignal(SIGABRT), fatal_line("before", "Job", "unknown exception"));
}

/// True if `err` is exactly the fatal line for an `after` hook on a resource
/// of type `type`, and the id in it is the one the hook put into what():
///   tether: fatal: exception in async hook 'after' (resource type "T", id N): ... of N
/// (Parsed by hand: std::regex trips GCC 12's -Wmaybe-uninitialized at -O1.)
bool names_the_id_it_got(const std::string& err, const std::string& type) {
  const std::string head =
      "tether: fatal: exception in async hook 'after' (resource type \"" + type + "\", id ";
  const std::string middle = "): bad state in after of ";
  if (err.rfind(head, 0) != 0 || err.empty() || err.back() != '\n') {
    return false;
  }
  const std::size_t id_end = err.find(middle, head.size());
  if (id_end == std::string::npos) {
    return false;
  }
  const std::string id = err.substr(head.size(), id_end - head.size());
  const std::string echoed =
      err.substr(id_end + middle.size(), err.size() - 1 - (id_end + middle.size()));
  return !id.empty() && id.find_first_not_of("0123456789") == std::string::npos && id == echoed;
}

TEST_F(HookFatal, MessageNamesTheExactIdAndALongType) {
  // The hook puts the id it got into what(); the message must name the same.
  EXPECT_EXIT(
      {
        async_hook h = create_hook({.after = [](async_id id) {
          throw std::invalid_argument("bad state in after of " + std::to_string(id));
        }});
        async_resource r("A.Type.Name.Longer.Than.Thirty.One.Chars");
        h.enable();
        r.run_in_async_scope([] {});
      },
      ::testing::KilledBySignal(SIGABRT), ::testing::Truly([](const std::string& err) {
        return names_the_id_it_got(err, "A.Type.Name.Longer.Than.Thirty.One.Chars");
      }));
}

TEST_F(HookFatal, LaterHooksDoNotRunAfterTheFatalOne) {
  // A second hook's output would appear on stderr before the abort.
  EXPECT_EXIT(
      {
        async_hook first = create_hook({.before = [](async_id) { boom(); }});
        async_hook second =
            create_hook({.before = [](async_id id) { tether::debug("second hook ran for", id); }});
        first.enable();
        second.enable();
        drive("Job");
      },
      ::testing::KilledBySignal(SIGABRT), fatal_line("before", "Job", "boom"));
}

TEST_F(HookFatal, ThrowingHookDoesNotAbortWhileDisabled) {
  // The control case: the same hook, never enabled, is harmless.
  async_hook h = create_hook({.before = [](async_id) { boom(); }});
  drive("Job");
  h.enable().disable();
  drive("Job");
  SUCCEED();
}

}  // namespace
