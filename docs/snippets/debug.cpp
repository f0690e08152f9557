// docs/debug.md: logging from inside hook callbacks, where console-style
// logging would create resources and recurse: Node's process._rawDebug
// (tether::debug, to stderr) and fs.writeSync(fd, ...) (tether::debug_to).
#include <tether/async_hooks.hpp>
#include <tether/debug.hpp>

#include <unistd.h>

#include <cstdint>

int main() {
  auto hook = tether::create_hook({
      .init = [](tether::async_id id, std::string_view type, tether::async_id trigger, tether::resource&) {
        tether::debug_to(STDOUT_FILENO, "init", type, id, "trigger", trigger);  // fs.writeSync(1, ...)
      },
      .destroy = [](tether::async_id id) { tether::debug("destroy", id); },  // process._rawDebug
  }).enable();

  { tether::async_resource job("Job"); }  // stdout: init Job 2 trigger 1; stderr: destroy 2

  // Strings, characters, integers, floating point, booleans and pointers;
  // false when the line could not be written (here: a closed descriptor).
  int x = 0;
  const bool written = tether::debug_to(STDOUT_FILENO, "mixed:", 'c', -1, std::uint64_t{2}, 0.5, true, &x);
  const bool to_closed = tether::debug_to(-1, "lost");
  return written && !to_closed ? 0 : 1;
}
