#include <functional>
#include <memory>
#include <string>

#include "load.hpp"

namespace shop {
namespace {

using asio::ip::tcp;

asio::awaitable<void> one_client(tcp::endpoint server, std::uint64_t n, load_result& result) {
  const std::string client = "client-" + std::to_string(n);
  try {
    tcp::socket socket(co_await asio::this_coro::executor);
    co_await socket.async_connect(server, asio::use_awaitable);
    const std::string request = "order " + client + "\n";
    co_await asio::async_write(socket, asio::buffer(request), asio::use_awaitable);
    std::string reply;
    co_await asio::async_read_until(socket, asio::dynamic_buffer(reply, 256), '\n',
                                    asio::use_awaitable);
    if (reply.rfind("ok " + client + " ", 0) == 0) {
      ++result.answered;
    } else {
      ++result.failed;
    }
  } catch (const std::exception&) {
    ++result.failed;
  }
}

}  // namespace

void start_load(asio::io_context& io, tcp::endpoint server, std::uint64_t connections,
                load_result& result, std::function<void()> done) {
  auto remaining = std::make_shared<std::atomic<std::uint64_t>>(connections);
  auto finished = std::make_shared<std::function<void()>>(std::move(done));
  for (std::uint64_t n = 1; n <= connections; ++n) {
    asio::co_spawn(asio::make_strand(io), one_client(server, n, result),
                   [remaining, finished](std::exception_ptr) {
                     if (--*remaining == 0) {
                       (*finished)();
                     }
                   });
  }
}

}  // namespace shop
