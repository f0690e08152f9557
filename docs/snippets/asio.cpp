// docs/asio.md: with standalone Asio, a post and a timer are resources, and
// their handlers run in the context they were started in.
#include <asio.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <tether/asio.hpp>
#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>

tether::async_local_storage<std::string> request_id;

std::string current_id() {
  const std::string* id = request_id.get_store();
  return id != nullptr ? *id : "none";
}

int main() {
  std::vector<std::string_view> types;
  auto hook = tether::create_hook({.init = [&](tether::async_id, std::string_view type,
                                               tether::async_id, tether::resource&) {
    types.push_back(type);
  }}).enable();
  asio::io_context io;
  asio::steady_timer timer(io);
  std::string in_post;
  std::string in_timer;
  request_id.run("req-1", [&] {
    asio::post(io, [&] { in_post = current_id(); });
    timer.expires_after(std::chrono::milliseconds(1));
    timer.async_wait([&](asio::error_code) { in_timer = current_id(); });
  });
  io.run();
  return in_post == "req-1" && in_timer == "req-1" && current_id() == "none" &&
                 types == std::vector<std::string_view>{tether::asio_types::post,
                                                        tether::asio_types::steady_timer}
             ? 0
             : 1;
}
