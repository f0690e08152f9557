// tether::profiler on an Asio program, unchanged: a recording of handlers,
// a timer and a co_spawn'ed coroutine holds each as a resource of its Asio
// type, each init with exactly one destroy and balanced before/after.
#include "../asio_flavour.hpp"  // first: Asio, then tether's tracking header through it

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <tether/asio.hpp>
#include <tether/profiler.hpp>

#include "profiler/analysis/trace_reader.hpp"

namespace {

namespace analysis = tether::profiler::analysis;
namespace format = tether::profiler::format;

struct collected final : analysis::trace_consumer {
  std::map<std::uint32_t, std::string> types;
  std::vector<analysis::trace_event> events;
  void on_info(const analysis::trace_info&) override {}
  void on_thread(const analysis::thread_info&) override {}
  void on_type(std::uint32_t id, std::string_view name) override { types[id] = std::string(name); }
  void on_event(const analysis::trace_event& e) override { events.push_back(e); }
  void on_end(const analysis::trace_end&) override {}
};

net::awaitable<void> sleep_twice() {
  net::steady_timer timer(co_await net::this_coro::executor);
  for (int i = 0; i < 2; ++i) {
    timer.expires_after(std::chrono::milliseconds(1));
    co_await timer.async_wait(net::use_awaitable);
  }
}

TEST(asio_profiler, RecordsAsioHandlersTimersAndCoroutinesAsResources) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("tether-asio-profiler-" + std::string(asio_flavour_name) +
                                      "-" + std::to_string(::getpid()) + ".tether");
  tether::profiler::start({.path = path.string()});
  {
    net::io_context io;
    net::post(io, [] {});
    net::steady_timer timer(io, std::chrono::milliseconds(1));
    timer.async_wait([](net_error_code) {});
    net::co_spawn(io, sleep_twice(), net::detached);
    io.run();
  }
  const tether::profiler::stats s = tether::profiler::stop();
  EXPECT_EQ(s.dropped, 0u);

  collected trace;
  const analysis::read_result read = analysis::read_trace(path.string(), trace);
  std::filesystem::remove(path);
  EXPECT_FALSE(read.truncated);
  EXPECT_EQ(read.lost_events, 0u);

  // Per resource: its type and how many of each event it got.
  struct life {
    std::string type;
    int init = 0, before = 0, after = 0, destroy = 0;
  };
  std::map<std::uint64_t, life> lives;
  for (const analysis::trace_event& e : trace.events) {
    life& l = lives[e.id];
    switch (e.kind) {
      case format::kind::init:
        ++l.init;
        l.type = trace.types[e.type];
        break;
      case format::kind::before: ++l.before; break;
      case format::kind::after: ++l.after; break;
      case format::kind::destroy: ++l.destroy; break;
      default: break;
    }
  }
  std::map<std::string, int> by_type;
  for (const auto& [id, l] : lives) {
    if (l.type.rfind("asio.", 0) != 0) {
      continue;
    }
    ++by_type[l.type];
    EXPECT_EQ(l.init, 1) << l.type << " " << id;
    EXPECT_EQ(l.destroy, 1) << l.type << " " << id;
    EXPECT_EQ(l.before, l.after) << l.type << " " << id;
    if (l.type == "asio.co_spawn") {
      EXPECT_EQ(l.before, 3) << "one slice per resumption: start, then after each await";
    } else {
      EXPECT_EQ(l.before, 1) << l.type << " " << id;
    }
  }
  EXPECT_EQ(by_type["asio.post"], 1);
  EXPECT_EQ(by_type["asio.steady_timer"], 3);  // the callback timer and two awaits
  EXPECT_EQ(by_type["asio.co_spawn"], 1);
}

}  // namespace
