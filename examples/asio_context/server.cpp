#include "server.hpp"

#include <chrono>
#include <istream>
#include <memory>
#include <string>
#include <utility>

#include "logger.hpp"
#include "request_context.hpp"

namespace shop {
namespace {

using asio::ip::tcp;

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket socket, asio::thread_pool& pricing, std::uint64_t number,
          std::atomic<std::uint64_t>& served)
      : socket_(std::move(socket)),
        lookup_(socket_.get_executor()),
        pricing_(pricing),
        number_(number),
        served_(served) {}

  void start() { read_request(); }

 private:
  void read_request() {
    asio::async_read_until(socket_, input_, '\n',
                           [self = shared_from_this()](asio::error_code ec, std::size_t) {
                             self->on_request(ec);
                           });
  }

  void on_request(asio::error_code ec) {
    if (ec) {
      if (!client_.empty()) {
        log().info(client_, "connection closed");
      }
      return;
    }
    std::istream in(&input_);
    std::string verb;
    in >> verb >> client_;
    in.ignore(1);
    // The request's identity, for everything this request does from here on.
    request_context.enter_with({number_, client_});
    log().info(client_, "order received");
    lookup_.expires_after(std::chrono::milliseconds(1 + number_ % 3));
    lookup_.async_wait([self = shared_from_this()](asio::error_code) { self->on_stock(); });
  }

  void on_stock() {
    log().info(client_, "stock checked");
    asio::post(pricing_, [self = shared_from_this()] {
      // On the pricing pool's thread.
      const unsigned price = 100 + static_cast<unsigned>(self->client_.size() * 7);
      log().info(self->client_, "priced at " + std::to_string(price));
      asio::post(self->socket_.get_executor(), [self, price] { self->reply(price); });
    });
  }

  void reply(unsigned price) {
    output_ = "ok " + client_ + " " + std::to_string(price) + "\n";
    asio::async_write(socket_, asio::buffer(output_),
                      [self = shared_from_this()](asio::error_code ec, std::size_t) {
                        if (ec) {
                          return;
                        }
                        log().info(self->client_, "reply sent");
                        ++self->served_;
                        self->read_request();  // keep-alive: the next request, if any
                      });
  }

  tcp::socket socket_;
  asio::steady_timer lookup_;
  asio::thread_pool& pricing_;
  std::uint64_t number_;
  std::atomic<std::uint64_t>& served_;
  asio::streambuf input_{4096};  // a request line longer than this is an error
  std::string client_;
  std::string output_;
};

}  // namespace

server::server(asio::io_context& io, asio::thread_pool& pricing)
    : io_(io), pricing_(pricing), acceptor_(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void server::start() { accept(); }

void server::stop() {
  asio::post(acceptor_.get_executor(), [this] { acceptor_.close(); });
}

void server::accept() {
  // Each connection's socket on its own strand: the io_context runs on two
  // threads, and a session's handlers must not run at once.
  acceptor_.async_accept(asio::make_strand(io_), [this](asio::error_code ec, tcp::socket socket) {
    if (ec) {
      return;  // closed by stop()
    }
    std::make_shared<session>(std::move(socket), pricing_, ++connections_, served_)->start();
    accept();
  });
}

}  // namespace shop
