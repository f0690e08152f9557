// An io_context run by two threads: triggers stay per thread, resources
// cross threads with their identity and context, strands serialise, and
// async_local_storage keeps 1,000 concurrent loopback connections apart
// (callback handlers and co_spawn coroutines). Run under TSan by the tsan
// preset.
#include "asio_flavour.hpp"  // first: Asio, then tether's tracking header through it

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <tether/asio.hpp>
#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>

#include "support/hook_recorder.hpp"

namespace {

using tether::async_id;
using tether::execution_async_id;
using tether::trigger_async_id;
using tether::test::hook_recorder;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

/// Runs `io` on two threads until it has no more work.
void run_on_two_threads(net::io_context& io) {
  std::thread other([&] { io.run(); });
  io.run();
  other.join();
}

/// 1,000 connections need 2,000 descriptors in this process.
void ensure_descriptors(rlim_t wanted) {
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0);
  }
  ASSERT_GE(limit.rlim_cur, wanted) << "raise the hard limit on open files (ulimit -Hn)";
}

TEST(asio_threads, TriggersAndIdsStayRightWhenTwoThreadsRunOneIoContext) {
  hook_recorder rec;
  rec.enable();
  net::io_context io;
  constexpr int parents = 1000;
  std::atomic<int> wrong{0};
  std::atomic<int> children{0};
  for (int i = 0; i < parents; ++i) {
    net::post(io, [&] {
      const async_id parent = execution_async_id();
      net::post(io, [&, parent] {
        wrong += trigger_async_id() != parent;
        ++children;
      });
    });
  }
  run_on_two_threads(io);
  EXPECT_EQ(children.load(), parents);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(rec.activities_of_type("asio.post").size(), 2u * parents);
  EXPECT_TRUE(rec.sanity_check({.complete = true}));
}

TEST(asio_threads, AStrandSerialisesItsHandlersAcrossThreadsAsOneResourceEach) {
  hook_recorder rec;
  rec.enable();
  net::io_context io;
  auto strand = net::make_strand(io);
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> wrong_id{0};
  constexpr int handlers = 2000;
  for (int i = 0; i < handlers; ++i) {
    net::post(strand, [&] {
      overlaps += inside.fetch_add(1) != 0;
      wrong_id += tether::execution_async_resource().type() != "asio.strand.post";
      inside.fetch_sub(1);
    });
  }
  run_on_two_threads(io);
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(wrong_id.load(), 0);
  EXPECT_EQ(rec.activities_of_type("asio.strand.post").size(), std::size_t{handlers});
  EXPECT_EQ(rec.activities().size(), std::size_t{handlers});  // no invoker resources
  EXPECT_TRUE(rec.sanity_check({.complete = true}));
}

TEST(asio_threads, TimerChainsKeepTheirContextWhicheverThreadRunsThem) {
  net::io_context io;
  tether::async_local_storage<int> als;
  constexpr int chains = 200;
  constexpr int links = 5;
  std::atomic<int> mixups{0};
  std::atomic<int> steps{0};
  // One timer per chain, touched only by its own chain's handlers (one at a
  // time), as Asio requires.
  struct chain {
    explicit chain(net::io_context& io) : timer(io) {}
    net::steady_timer timer;
    int done = 0;
  };
  std::vector<std::unique_ptr<chain>> all;
  std::function<void(chain&, int)> arm = [&](chain& c, int i) {
    c.timer.expires_after(0ms);
    c.timer.async_wait([&, i](net_error_code) {
      mixups += *als.get_store() != i;
      ++steps;
      if (++c.done < links) {
        arm(c, i);
      }
    });
  };
  for (int i = 0; i < chains; ++i) {
    all.push_back(std::make_unique<chain>(io));
    als.run(i, [&, i] { arm(*all.back(), i); });
  }
  run_on_two_threads(io);
  EXPECT_EQ(steps.load(), chains * links);
  EXPECT_EQ(mixups.load(), 0);
}

// --- 1,000 concurrent connections -------------------------------------------
// A server in the usual style (acceptor, a session per connection on its own
// strand) and 1,000 clients, all on one io_context run by two threads. Each
// client runs in its own context (als.run(i)); each server session sets its
// connection's (enter_with) when accepted. Every handler checks it sees its
// own: a mix-up anywhere is counted.

struct connection_counts {
  std::atomic<int> mixups{0};
  std::atomic<int> echoed{0};
  std::atomic<int> checks{0};
};

class echo_session : public std::enable_shared_from_this<echo_session> {
 public:
  echo_session(tcp::socket socket, tether::async_local_storage<std::string>& als,
               connection_counts& counts)
      : socket_(std::move(socket)), als_(als), counts_(counts) {}

  void start(int n) {
    id_ = "server-" + std::to_string(n);
    als_.enter_with(id_);
    read();
  }

 private:
  void check() {
    ++counts_.checks;
    const std::string* v = als_.get_store();
    counts_.mixups += v == nullptr || *v != id_;
  }
  void read() {
    socket_.async_read_some(net::buffer(buffer_),
                            [self = shared_from_this()](net_error_code ec, std::size_t n) {
                              self->check();
                              if (!ec) {
                                self->write(n);
                              }
                            });
  }
  void write(std::size_t n) {
    net::async_write(socket_, net::buffer(buffer_.data(), n),
                     [self = shared_from_this()](net_error_code ec, std::size_t) {
                       self->check();
                       if (!ec) {
                         self->read();
                       }
                     });
  }

  tcp::socket socket_;
  tether::async_local_storage<std::string>& als_;
  connection_counts& counts_;
  std::string id_;
  std::array<char, 64> buffer_{};
};

TEST(asio_threads, AThousandConcurrentConnectionsNeverSeeEachOthersContext) {
  ensure_descriptors(4096);
  constexpr int connections = 1000;
  net::io_context io;
  tether::async_local_storage<std::string> als;
  connection_counts counts;

  // Server: sockets made on their own strand, as a multi-threaded Asio
  // server does.
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::address_v4::loopback(), 0));
  acceptor.listen(net::socket_base::max_listen_connections);
  std::atomic<int> accepted{0};
  std::function<void()> accept = [&] {
    acceptor.async_accept(net::make_strand(io), [&](net_error_code ec, tcp::socket s) {
      if (ec) {
        return;
      }
      const int n = accepted++;
      std::make_shared<echo_session>(std::move(s), als, counts)->start(n);
      if (n + 1 < connections) {
        accept();
      }
    });
  };
  accept();

  // Clients: each in its own context, on its own strand.
  struct client {
    explicit client(net::io_context& io) : socket(net::make_strand(io)) {}
    tcp::socket socket;
    std::string request;
    std::array<char, 64> reply{};
  };
  std::vector<std::unique_ptr<client>> clients;
  clients.reserve(connections);
  const auto endpoint = acceptor.local_endpoint();
  for (int i = 0; i < connections; ++i) {
    clients.push_back(std::make_unique<client>(io));
    client& c = *clients.back();
    c.request = "client-" + std::to_string(i);
    als.run(c.request, [&] {
      c.socket.async_connect(endpoint, [&](net_error_code ec) {
        ++counts.checks;
        counts.mixups += *als.get_store() != c.request;
        if (ec) {
          return;
        }
        net::async_write(c.socket, net::buffer(c.request), [&](net_error_code ec2, std::size_t) {
          ++counts.checks;
          counts.mixups += *als.get_store() != c.request;
          if (ec2) {
            return;
          }
          net::async_read(c.socket, net::buffer(c.reply.data(), c.request.size()),
                          [&](net_error_code ec3, std::size_t n) {
                            ++counts.checks;
                            counts.mixups += *als.get_store() != c.request;
                            counts.echoed += !ec3 && std::string_view(c.reply.data(), n) == c.request;
                            c.socket.close();  // the server session sees EOF and ends
                          });
        });
      });
    });
  }
  run_on_two_threads(io);

  EXPECT_EQ(accepted.load(), connections);
  EXPECT_EQ(counts.echoed.load(), connections);
  EXPECT_GE(counts.checks.load(), 5 * connections);
  EXPECT_EQ(counts.mixups.load(), 0);
}

TEST(asio_threads, AThousandCoroutineSessionsKeepTheirOwnContextAcrossEveryAwait) {
  ensure_descriptors(4096);
  constexpr int connections = 1000;
  net::io_context io;
  tether::async_local_storage<int> als;
  std::atomic<int> mixups{0};
  std::atomic<int> done{0};
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::address_v4::loopback(), 0));
  acceptor.listen(net::socket_base::max_listen_connections);

  auto session = [&](tcp::socket s, int n) -> net::awaitable<void> {
    als.enter_with(n);
    std::array<char, 32> buf{};
    for (;;) {
      net_error_code ec;
      const std::size_t len =
          co_await s.async_read_some(net::buffer(buf), net::redirect_error(net::use_awaitable, ec));
      mixups += *als.get_store() != n;
      if (ec) {
        break;
      }
      co_await net::async_write(s, net::buffer(buf.data(), len), net::use_awaitable);
      mixups += *als.get_store() != n;
    }
  };
  auto server = [&]() -> net::awaitable<void> {
    for (int n = 0; n < connections; ++n) {
      tcp::socket s = co_await acceptor.async_accept(net::make_strand(io), net::use_awaitable);
      net::co_spawn(s.get_executor(), session(std::move(s), n), net::detached);
    }
  };
  auto client = [&](int i) -> net::awaitable<void> {
    tcp::socket s(co_await net::this_coro::executor);
    co_await s.async_connect(acceptor.local_endpoint(), net::use_awaitable);
    mixups += *als.get_store() != -1 - i;
    const std::string request = std::to_string(i);
    co_await net::async_write(s, net::buffer(request), net::use_awaitable);
    mixups += *als.get_store() != -1 - i;
    std::string reply(request.size(), '\0');
    co_await net::async_read(s, net::buffer(reply), net::use_awaitable);
    mixups += *als.get_store() != -1 - i;
    done += reply == request;
  };
  net::co_spawn(io, server(), net::detached);
  for (int i = 0; i < connections; ++i) {
    als.run(-1 - i, [&] { net::co_spawn(net::make_strand(io), client(i), net::detached); });
  }
  run_on_two_threads(io);
  EXPECT_EQ(done.load(), connections);
  EXPECT_EQ(mixups.load(), 0);
}

}  // namespace
