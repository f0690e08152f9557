// fs_context: an async_local_storage store (a request id) survives a chain
// of fs operations and thread-pool work, in callback and promise style.
//
//   ./build/dev/examples/fs_context
//
// Two "requests" run concurrently; every line is printed with the request id
// that get_store() sees at that point, e.g. (the interleaving may vary):
//   [req-1] wrote 30 bytes to /tmp/tether-fs-context-XXXXXX/req-1.txt
//   [req-2] wrote 30 bytes to /tmp/tether-fs-context-XXXXXX/req-2.txt
//   [req-1] read it back: 6 words (counted on the thread pool)
//   [req-1] stat: 30 bytes
//   ...
// No line ever shows the other request's id.

#include <stdlib.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <sstream>
#include <string>
#include <system_error>

#include <tether/async_local_storage.hpp>
#include <tether/event_loop.hpp>
#include <tether/fs.hpp>
#include <tether/promise.hpp>
#include <tether/work.hpp>

namespace {

tether::async_local_storage<std::string> request_id;

std::string current_request() {
  const std::string* id = request_id.get_store();
  return id != nullptr ? *id : "no request";
}

void say(const std::string& what) {
  std::printf("[%s] %s\n", current_request().c_str(), what.c_str());
}

std::size_t count_words(const std::string& text) {
  std::istringstream in(text);
  std::size_t n = 0;
  for (std::string w; in >> w;) {
    ++n;
  }
  return n;
}

// Promise style: write, read back, count on the pool; then a callback-style
// stat whose callback still sees the same request.
tether::promise<> handle(std::string path) {
  const std::string body = "hello from " + current_request() + " via tether fs";
  co_await tether::fs::promises::write_file(path, body);
  say("wrote " + std::to_string(body.size()) + " bytes to " + path);

  std::string back = co_await tether::fs::promises::read_file(path);
  // A named lambda: g++ 12 destroys a capturing lambda temporary twice when
  // it sits in a co_await operand.
  auto count = [text = std::move(back)] {
    return count_words(text);  // a pool thread, still inside the request
  };
  const std::size_t words = co_await tether::queue_work(std::move(count));
  say("read it back: " + std::to_string(words) + " words (counted on the thread pool)");

  tether::fs::stat(path, [](std::error_code ec, tether::fs::stat_result st) {
    say(ec ? "stat failed: " + ec.message() : "stat: " + std::to_string(st.size) + " bytes");
  });

  try {
    co_await tether::fs::promises::read_file(path + ".missing");
  } catch (const std::system_error& e) {
    say(std::string("expected failure: ") + e.what());
  }
}

}  // namespace

int main() {
  std::string dir = (std::filesystem::temp_directory_path() / "tether-fs-context-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  int status = 0;
  {
    tether::event_loop loop;
    for (const char* id : {"req-1", "req-2"}) {
      request_id.run(id, [&] {
        handle(dir + "/" + id + ".txt").catch_([](std::exception_ptr e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& x) {
            say(std::string("failed: ") + x.what());
          }
        });
      });
    }
    try {
      loop.run();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fs_context: %s\n", e.what());
      status = 1;
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return status;
}
