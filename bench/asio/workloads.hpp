#pragma once
// The Asio benchmark workloads, written once and compiled twice: in
// asio_bench.cpp (tracked: tether::asio's definitions, Asio's namespace
// renamed) and in plain/plain_asio.cpp (plain Asio, no tether). Each copy
// uses its own Asio, so the two live in one binary and one run.
//
// Everything here is in an unnamed namespace: the two copies name
// different Asio types under the same names, so external linkage would be
// an ODR violation (the linker would keep one copy for both rows).
//
// Every workload is a chain of callbacks that calls state.KeepRunning()
// itself (one benchmark iteration = one handler, or one round trip), so the
// ns per iteration Google Benchmark reports is the cost of that unit.

#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <functional>

#include <asio.hpp>

namespace asio_bench {
namespace {

/// Handlers per post-chain run (the workload: 2,000,000 handlers on
/// one thread).
inline constexpr benchmark::IterationCount post_chain_handlers = 2'000'000;
/// Round trips per TCP echo run (64-byte messages over loopback).
inline constexpr benchmark::IterationCount echo_round_trips = 50'000;
inline constexpr std::size_t echo_message = 64;

/// Each handler posts the next until the run ends. A small copyable
/// function object, as a real program's handler would be: Asio recycles the
/// operation's memory, so the chain allocates nothing once warm.
struct post_link {
  asio::io_context* io;
  benchmark::State* state;
  void operator()() const {
    if (state->KeepRunning()) {
      asio::post(*io, *this);
    }
  }
};

/// Runs the post chain; `start` wraps the first post (the storage row
/// starts it inside als.run()).
inline void post_chain(benchmark::State& state,
                       const std::function<void(const std::function<void()>&)>& start) {
  asio::io_context io(1);
  start([&] { asio::post(io, post_link{&io, &state}); });
  io.run();
}

/// A client and a server session on one connection, one io_context, one
/// thread: the client writes 64 bytes, the server reads and writes them
/// back, the client reads them; repeat.
class echo {
 public:
  explicit echo(benchmark::State& state)
      : state_(state),
        acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0)),
        server_(io_),
        client_(io_) {}

  /// `on_accept` runs in the server's accept handler (the storage row
  /// enters the connection's store there); `start` wraps the client's
  /// connect (the storage row runs it inside als.run()).
  void run(const std::function<void()>& on_accept,
           const std::function<void(const std::function<void()>&)>& start) {
    acceptor_.async_accept(server_, [this, on_accept](asio::error_code ec) {
      if (!ec) {
        on_accept();
        server_read();
      }
    });
    start([this] {
      client_.async_connect(acceptor_.local_endpoint(), [this](asio::error_code ec) {
        if (!ec) {
          client_.set_option(asio::ip::tcp::no_delay(true));
          client_write();
        }
      });
    });
    io_.run();
  }

 private:
  void server_read() {
    server_.async_read_some(asio::buffer(server_buffer_), [this](asio::error_code ec, std::size_t n) {
      if (ec) {
        return;  // the client closed
      }
      asio::async_write(server_, asio::buffer(server_buffer_.data(), n),
                        [this](asio::error_code ec2, std::size_t) {
                          if (!ec2) {
                            server_read();
                          }
                        });
    });
  }
  void client_write() {
    asio::async_write(client_, asio::buffer(client_buffer_), [this](asio::error_code ec, std::size_t) {
      if (ec) {
        return;
      }
      asio::async_read(client_, asio::buffer(client_buffer_), [this](asio::error_code ec2, std::size_t) {
        if (!ec2 && state_.KeepRunning()) {
          client_write();
        } else {
          client_.close();
        }
      });
    });
  }

  benchmark::State& state_;
  asio::io_context io_{1};
  asio::ip::tcp::acceptor acceptor_;
  asio::ip::tcp::socket server_;
  asio::ip::tcp::socket client_;
  std::array<char, echo_message> server_buffer_{};
  std::array<char, echo_message> client_buffer_{};
};

/// Starts a workload as is (the plain and no-storage rows).
inline void start_plainly(const std::function<void()>& f) { f(); }

}  // namespace
}  // namespace asio_bench
