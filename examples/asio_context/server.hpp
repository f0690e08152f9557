#pragma once
// An order service in the usual Asio style: an acceptor, a session object
// per connection whose socket lives on its own strand, callbacks, a timer
// standing in for a stock lookup, and a thread pool for pricing. Nothing in
// it passes the request to the logger: shop::log() finds it in
// shop::request_context.
//
// Protocol, one request per line: "order <client>\n" -> "ok <client> <price>\n".

#include <atomic>
#include <cstdint>

#include <asio.hpp>

namespace shop {

class server {
 public:
  server(asio::io_context& io, asio::thread_pool& pricing);

  asio::ip::tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }
  void start();
  void stop();
  std::uint64_t requests_served() const { return served_.load(); }

 private:
  void accept();

  asio::io_context& io_;
  asio::thread_pool& pricing_;
  asio::ip::tcp::acceptor acceptor_;
  std::uint64_t connections_ = 0;  // only touched by the accept chain
  std::atomic<std::uint64_t> served_{0};
};

}  // namespace shop
