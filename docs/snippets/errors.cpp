// docs/errors.md: what tether throws and rejects with, and how to tell the
// cases apart.
#include <tether/async_hooks.hpp>
#include <tether/debug.hpp>
#include <tether/error.hpp>
#include <tether/event_loop.hpp>
#include <tether/fs.hpp>
#include <tether/promise.hpp>
#include <tether/uv_error.hpp>

#include <stdexcept>
#include <string>
#include <system_error>

tether::promise<> read_missing(std::string& out) {
  try {
    co_await tether::fs::promises::read_file("/nonexistent/file");
  } catch (const tether::uv_error& e) {  // a std::system_error
    out = e.syscall() + " " + e.path() + " " + tether::uv_error_name(e.code());  // open /nonexistent/file ENOENT
  }
}

tether::promise<> forgotten() {
  throw std::runtime_error("nobody awaits me");
  co_return;
}

int main() {
  // 1. Misuse of the API: tether::usage_error (a std::logic_error) whose
  //    message names the call, the resource and the fix.
  std::string misuse;
  {
    tether::async_resource r("Job");
    r.emit_destroy();
    try {
      r.emit_destroy();
    } catch (const tether::usage_error& e) {
      misuse = e.what();  // tether: emit_destroy() called twice for resource 2 ("Job"); ...
    }
  }

  // 2. Operational failures: std::error_code in uv_category() (callback
  //    forms), tether::uv_error (promise forms).
  tether::event_loop loop;
  std::error_code ec;
  tether::fs::stat("/nonexistent", [&](std::error_code e, tether::fs::stat_result) { ec = e; });
  std::string failed;
  auto task = read_missing(failed);
  loop.run();

  // 3. A rejection nobody handled: run() stops and throws
  //    tether::unhandled_rejection, unless on_unhandled_rejection is set.
  std::string unhandled;
  auto dropped = forgotten();
  try {
    loop.run();
  } catch (const tether::unhandled_rejection& e) {
    unhandled = e.what();  // tether: unhandled promise rejection: nobody awaits me
  }

  tether::debug(misuse.substr(0, 47));
  tether::debug(ec.message(), "|", failed, "|", unhandled);
  const bool ok = misuse.rfind("tether: emit_destroy() called twice for resource", 0) == 0 &&
                  ec == std::errc::no_such_file_or_directory && ec.category() == tether::uv_category() &&
                  failed == "open /nonexistent/file ENOENT" &&
                  unhandled == "tether: unhandled promise rejection: nobody awaits me";
  return ok ? 0 : 1;
}
