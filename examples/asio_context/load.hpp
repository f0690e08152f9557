#pragma once
// The demo's own clients: `connections` coroutines at once, each on its own
// strand, each sending one order and checking the answer names it.

#include <atomic>
#include <cstdint>
#include <functional>

#include <asio.hpp>

namespace shop {

struct load_result {
  std::atomic<std::uint64_t> answered{0};  // right answer received
  std::atomic<std::uint64_t> failed{0};    // error or wrong answer
};

/// Starts the clients; `done` runs (on some io thread) after the last one ends.
void start_load(asio::io_context& io, asio::ip::tcp::endpoint server, std::uint64_t connections,
                load_result& result, std::function<void()> done);

}  // namespace shop
