// long_stack_trace: an error thrown three hops away from the code that set it
// in motion, and the async stack trace that leads back to it.
//
//   main          set_timeout(on_timer)                          "Timeout"
//   on_timer      fs::read_file(path, on_config_read)            "FSREQCALLBACK"
//   on_config_read   verify(data): a coroutine that co_awaits
//                 queue_work(checksum) on the thread pool        "QUEUEWORK"
//   checksum      throws, on a pool thread
//
// The coroutine gets the error at its co_await and prints the trace the
// exception carries: where it was thrown, then hop by hop the resource whose
// callback was running and the stack that created it, each with file:line.
// An ordinary event loop would show only the pool thread's stack.
//
// The program checks its own trace (exit status 1 if a hop is missing), so
// it doubles as a test (examples/CMakeLists.txt runs it).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <tether/event_loop.hpp>
#include <tether/fs.hpp>
#include <tether/promise.hpp>
#include <tether/stack_trace.hpp>
#include <tether/timers.hpp>
#include <tether/work.hpp>

namespace {

const std::string config_path =
    (std::filesystem::temp_directory_path() / "tether_long_stack_trace.conf").string();
bool trace_ok = false;

// Runs on a thread-pool thread.
std::uint32_t checksum(const std::string& data) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data.compare(i, 7, "corrupt") == 0) {
      tether::throw_with_async_trace(
          std::runtime_error("checksum: corrupt block at byte " + std::to_string(i)));
    }
    sum = sum * 31 + static_cast<unsigned char>(data[i]);
  }
  return sum;
}

/// True if `hop` is of `type` and created by `function`, with file:line.
bool hop_is(const tether::async_hop& hop, const std::string& type, const std::string& function) {
  if (hop.type != type) {
    return false;
  }
  for (const tether::stack_frame& f : hop.frames) {
    if (!f.internal && f.function.find(function) != std::string::npos && f.line != 0 &&
        f.file.find("long_stack_trace.cpp") != std::string::npos) {
      return true;
    }
  }
  return false;
}

/// The trace must show where it was thrown, then QUEUEWORK, FSREQCALLBACK
/// and Timeout, each created by the function named. (fs::read_file is four
/// requests, each made in the one before: the three made inside tether,
/// without a user frame, are skipped here as to_string() folds them.)
void check(const tether::async_trace& trace) {
  std::vector<tether::async_hop> hops;
  for (tether::async_hop& h : trace.hops()) {
    for (const tether::stack_frame& f : h.frames) {
      if (!f.internal) {
        hops.push_back(std::move(h));
        break;
      }
    }
  }
  bool thrown_in_checksum = false;
  for (const tether::stack_frame& f : trace.frames()) {
    thrown_in_checksum = thrown_in_checksum || f.function.find("checksum") != std::string::npos;
  }
  trace_ok = thrown_in_checksum && hops.size() == 3 &&
             hop_is(hops[0], "QUEUEWORK", "verify") && hop_is(hops[1], "FSREQCALLBACK", "on_timer") &&
             hop_is(hops[2], "Timeout", "main");
}

// A coroutine: runs until its co_await, then resumes on the loop thread when
// the pool's work is done (or failed).
tether::promise<void> verify(std::string data) {
  try {
    auto work = [data = std::move(data)] { return checksum(data); };
    const std::uint32_t sum = co_await tether::queue_work(std::move(work));
    std::printf("checksum %08x\n", sum);
  } catch (const std::exception& e) {
    const tether::async_trace trace = tether::async_trace_of(std::current_exception());
    std::printf("error: %s\n%s", e.what(), tether::to_string(trace).c_str());
    check(trace);
  }
}

void on_config_read(std::error_code ec, std::string data) {
  if (ec) {
    std::printf("cannot read %s: %s\n", config_path.c_str(), ec.message().c_str());
    return;
  }
  (void)verify(std::move(data));
}

void on_timer() { tether::fs::read_file(config_path, &on_config_read); }

}  // namespace

int main() {
  tether::set_stack_trace_options({});  // capture at every init from here on
  {
    std::ofstream config(config_path);
    config << std::string(4096, 'x') << "corrupt" << std::string(100, 'y');
  }
  tether::event_loop loop;
  tether::set_timeout(&on_timer, std::chrono::milliseconds(5));
  loop.run();
  std::filesystem::remove(config_path);
  if (!trace_ok) {
    std::printf("long_stack_trace: the trace above is missing a hop\n");
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
