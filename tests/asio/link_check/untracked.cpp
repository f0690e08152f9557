// Plain Asio, compiled without tether (no tether::asio on this object
// library): Asio's own namespace, untracked operations.
#include <asio.hpp>

// Shares an Asio type with its caller: a tracked caller cannot link to it.
void serve_plain(asio::io_context& io) {
  asio::post(io, [] {});
}

// Shares none: safe to call from tracked code.
int run_plain_island() {
  asio::io_context io;
  int ran = 0;
  for (int i = 0; i < 3; ++i) {
    asio::post(io, [&] { ++ran; });
  }
  io.run();
  return ran;
}
