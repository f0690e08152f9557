// Tracked (tether::asio): passes its io_context to untracked code. Must not
// link: see CMakeLists.txt.
#include <asio.hpp>

void serve_plain(asio::io_context& io);

int main() {
  asio::io_context io;
  serve_plain(io);
  io.run();
}
