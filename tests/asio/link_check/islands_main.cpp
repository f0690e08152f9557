// Tracked (tether::asio) and untracked Asio in one program, sharing no Asio
// type: each has its own copy of Asio, so both work, and only the tracked
// one reports resources.
#include <asio.hpp>

#include <cstdio>
#include <string_view>

#include <tether/async_hooks.hpp>

int run_plain_island();

int main() {
  int tracked_inits = 0;
  tether::async_hook hook = tether::create_hook(
      {.init = [&](tether::async_id, std::string_view type, tether::async_id, tether::resource&) {
        tracked_inits += type == "asio.post";
      }});
  hook.enable();
  asio::io_context io;
  int ran = 0;
  asio::post(io, [&] { ++ran; });
  io.run();
  const int plain_ran = run_plain_island();
  if (ran != 1 || plain_ran != 3 || tracked_inits != 1) {
    std::fprintf(stderr, "tracked ran %d, plain ran %d, tracked inits %d\n", ran, plain_ran,
                 tracked_inits);
    return 1;
  }
  return 0;
}
