// read_file is Node's chain of requests (open, fstat, read, close): each
// FSREQCALLBACK is triggered by the one before, and the callback runs inside
// the last one's scope. An error reaches the callback (ENOENT here).
// differential-requires: fs
#include <string>
#include <system_error>

#include <tether/event_loop.hpp>
#include <tether/fs.hpp>

#include "trace.hpp"

int main() {
  trace::start();
  tether::event_loop loop;
  tether::fs::read_file("fs_read_file_chain.js", [](std::error_code ec, std::string data) {
    trace::log("read_file done, error", ec ? 1 : 0, "starts with", data.substr(0, 12));
    tether::fs::read_file("no-such-file.txt", [](std::error_code ec2, std::string data2) {
      trace::log("missing file:", ec2 == std::errc::no_such_file_or_directory ? "ENOENT" : "other",
                 "bytes", data2.size());
    });
  });
  loop.run();
}
