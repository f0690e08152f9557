// docs/fs.md: fs.promises and the callback forms, their FSREQ* resources,
// and errors as std::error_code / tether::uv_error.
#include <tether/debug.hpp>
#include <tether/event_loop.hpp>
#include <tether/fs.hpp>
#include <tether/promise.hpp>
#include <tether/uv_error.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

tether::promise<std::string> round_trip(std::string dir) {
  const std::string path = dir + "/hello.txt";
  co_await tether::fs::promises::write_file(path, "hello, fs\n");
  std::string text = co_await tether::fs::promises::read_file(path);
  tether::fs::stat_result st = co_await tether::fs::promises::stat(path);
  std::vector<tether::fs::dir_entry> entries = co_await tether::fs::promises::readdir(dir);
  co_await tether::fs::promises::unlink(path);
  try {
    co_await tether::fs::promises::read_file(path);  // gone now
  } catch (const tether::uv_error& e) {
    text += e.what();  // "open '<dir>/hello.txt': no such file or directory (ENOENT)"
  }
  co_return text + " size " + std::to_string(st.size) + " entries " + std::to_string(entries.size());
}

int main() {
  tether::event_loop loop;
  char dir_template[] = "/tmp/tether-fs-snippet-XXXXXX";
  const std::string dir = ::mkdtemp(dir_template);

  std::string result;
  auto task = round_trip(dir).then([&](std::string s) { result = std::move(s); });

  // The callback form: Node's fs.stat(path, (err, stats) => ...).
  std::error_code missing;
  tether::fs::stat(dir + "/nope", [&](std::error_code ec, tether::fs::stat_result) { missing = ec; });
  loop.run();

  std::filesystem::remove(dir);  // empty again: fs has no rmdir yet
  tether::debug(result);
  tether::debug("stat:", missing.message());  // no such file or directory (ENOENT)
  const bool ok = result.rfind("hello, fs\nopen '" + dir + "/hello.txt': no such file", 0) == 0 &&
                  result.find(" size 10 entries 1") != std::string::npos &&
                  missing == std::errc::no_such_file_or_directory;
  return ok ? 0 : 1;
}
