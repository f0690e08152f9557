// log_events: logs every async event of a small program from async hooks, as
// an indented tree (Node's async_hooks "printing in hooks" example, in C++).
//
//   ./build/dev/examples/log_events
//
// The program schedules a tick, an immediate, a promise chain and a timer
// whose callback reads a file and counts its bytes on the thread pool. Every
// init / before / after / destroy / promise_resolve is one line on stderr,
// indented by how deeply callbacks are nested on that thread (lines from a
// thread-pool thread are tagged "[pool]"), e.g.
//   Timeout(7): trigger 1, execution 1
//   ...
//   before 7
//     > timer fired: reading /tmp/tether-log-events-XXXXXX
//     FSREQCALLBACK(9): trigger 7, execution 7
//   after 7
//   destroy 7
//   ...
//   log_events: 11 inits, 11 destroys, 0 Microtask inits reported; hidden write ran: true
// Exit status 0 when every init got its destroy and the hidden write ran
// unreported. (Id 8 is missing from the tree: the hidden Microtask took it.)
//
// Why the hooks print with tether::debug and nothing else: in Node,
// console.log() to a pipe or terminal is asynchronous, so a console.log
// inside an init hook creates a resource (a TTYWRAP or WRITEWRAP), whose init
// calls the hook again, which logs again: infinite recursion. Node's docs tell
// you to log from hooks with fs.writeFileSync(1, ...) or process._rawDebug.
// tether::debug is that: a synchronous write(2) to stderr that creates no
// resource, allocates nothing and takes no lock.
//
// And even asynchronous logging from a hook cannot recurse in tether: a
// resource created while a hook callback runs on that thread is hidden from
// every hook for its whole life (no init, before, after or destroy). The init
// hook below demonstrates it by queueing a microtask (an "async log write");
// the microtask runs, but no "Microtask" line ever appears.

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

#include <tether/async_hooks.hpp>
#include <tether/debug.hpp>
#include <tether/event_loop.hpp>
#include <tether/fs.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>
#include <tether/work.hpp>

namespace {

using namespace std::chrono_literals;
using tether::async_id;

// Nesting depth of callbacks on this thread: the loop thread and each pool
// thread (queue_work runs fn inside its resource's scope there) have their own.
thread_local int depth = 0;
// Lines from a thread-pool thread are tagged "[pool]"; main() runs the loop.
std::thread::id loop_thread;

// Counted from the loop thread and the pool threads.
std::atomic<long> inits{0};
std::atomic<long> destroys{0};
std::atomic<long> microtask_inits{0};
bool hidden_write_ran = false;
bool hidden_write_queued = false;

// One line, indented by the depth, through tether::debug. The text is formatted
// into a stack buffer first: debug() separates its arguments with spaces, and
// the indentation must not get one.
void line(const char* format, ...) {
  char text[256];
  va_list args;
  va_start(args, format);
  std::vsnprintf(text, sizeof text, format, args);
  va_end(args);
  char out[320];
  const int indent = depth * 2 < 64 ? depth * 2 : 64;
  const char* tag = std::this_thread::get_id() == loop_thread ? "" : "[pool] ";
  const int n = std::snprintf(out, sizeof out, "%s%*s%s", tag, indent, "", text);
  tether::debug(std::string_view(out, n > 0 ? static_cast<std::size_t>(n) : 0));
}

unsigned long long ull(async_id id) { return static_cast<unsigned long long>(id); }

tether::hook_callbacks logging_hooks() {
  tether::hook_callbacks cb;
  cb.init = [](async_id id, std::string_view type, async_id trigger, tether::resource&) {
    ++inits;
    if (type == "Microtask") {
      ++microtask_inits;
    }
    line("%.*s(%llu): trigger %llu, execution %llu", static_cast<int>(type.size()), type.data(),
         ull(id), ull(trigger), ull(tether::execution_async_id()));
    if (type == "Timeout" && !hidden_write_queued) {
      // An "async log write" from inside a hook: a Microtask created while a
      // hook runs is hidden, so this cannot feed back into the hook.
      hidden_write_queued = true;
      tether::queue_microtask([] {
        hidden_write_ran = true;
        line("(an async write queued from the init hook ran; its Microtask was never reported)");
      });
    }
  };
  cb.before = [](async_id id) {
    line("before %llu", ull(id));
    ++depth;
  };
  cb.after = [](async_id id) {
    --depth;
    line("after %llu", ull(id));
  };
  cb.destroy = [](async_id id) {
    ++destroys;
    line("destroy %llu", ull(id));
  };
  cb.promise_resolve = [](async_id id) { line("promise_resolve %llu", ull(id)); };
  return cb;
}

// What the program itself says, at the same indentation as the hook lines.
void say(const std::string& what) { line("> %s", what.c_str()); }

tether::promise<int> answer() { co_return 21; }

void start_program(const std::string& file) {
  tether::next_tick([] { say("tick ran"); });
  tether::set_immediate([] { say("immediate ran"); });

  answer()
      .then([](int x) { return x * 2; })
      .then([](int x) { say("promise chain settled with " + std::to_string(x)); });

  tether::set_timeout(
      [file] {
        say("timer fired: reading " + file);
        tether::fs::read_file(file, [](std::error_code ec, std::string data) {
          if (ec) {
            say("read failed: " + ec.message());
            return;
          }
          say("read " + std::to_string(data.size()) + " bytes; counting lines on the pool");
          auto count = [data = std::move(data)] {
            say("counting on a pool thread");
            long lines = 0;
            for (const char c : data) {
              lines += c == '\n' ? 1 : 0;
            }
            return lines;
          };
          tether::queue_work(std::move(count), [](std::exception_ptr, long lines) {
            say("the file has " + std::to_string(lines) + " lines");
          });
        });
      },
      1ms);
}

}  // namespace

int main() {
  loop_thread = std::this_thread::get_id();
  std::string file =
      (std::filesystem::temp_directory_path() / "tether-log-events-XXXXXX").string();
  const int fd = ::mkstemp(file.data());
  if (fd < 0) {
    std::perror("mkstemp");
    return 1;
  }
  ::close(fd);
  std::ofstream(file) << "one\ntwo\nthree\n";

  tether::async_hook hook = tether::create_hook(logging_hooks());
  hook.enable();
  int status = 0;
  {
    tether::event_loop loop;
    start_program(file);
    try {
      loop.run();
    } catch (const std::exception& e) {
      tether::debug("log_events: run() failed:", e.what());
      status = 1;
    }
  }
  hook.disable();
  std::error_code ignored;
  std::filesystem::remove(file, ignored);

  tether::debug("log_events:", inits.load(), "inits,", destroys.load(), "destroys,",
                microtask_inits.load(), "Microtask inits reported; hidden write ran:",
                hidden_write_ran);
  if (inits != destroys || microtask_inits != 0 || !hidden_write_ran) {
    return 1;
  }
  return status;
}
