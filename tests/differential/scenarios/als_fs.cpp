// async_local_storage through fs callbacks: each sees the store current at
// its call, also across read_file's chain of requests. (One request at a
// time: thread-pool completions of parallel requests come in any order.)
// differential-requires: fs
#include <string>
#include <system_error>

#include <tether/async_local_storage.hpp>
#include <tether/event_loop.hpp>
#include <tether/fs.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::async_local_storage<std::string> als;
  tether::event_loop loop;
  als.run("stat request", [&] {
    tether::fs::stat("als_fs.js", [&](std::error_code, tether::fs::stat_result) {
      trace::log("stat callback store", trace::store(als));
      als.run("nested", [&] {
        tether::fs::read_file("als_fs.js", [&](std::error_code, std::string) {
          trace::log("nested read_file callback store", trace::store(als));
          als.exit([&] {
            tether::fs::stat("als_fs.js", [&](std::error_code, tether::fs::stat_result) {
              trace::log("stat callback from exit()", trace::store(als));
            });
          });
        });
      });
    });
  });
  loop.run();
}
