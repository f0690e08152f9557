#pragma once
// The one thing this server adds for tether: where the current request's
// identity lives. Set once when a request is parsed (session.cpp); read by
// the logger from anywhere the request's work goes: timers, the thread
// pool, strands, other threads.

#include <cstdint>
#include <string>

#include <tether/async_local_storage.hpp>

namespace shop {

struct request_info {
  std::uint64_t connection = 0;  // the server's number for the connection
  std::string client;            // who asked ("client-17")
};

inline tether::async_local_storage<request_info> request_context;

}  // namespace shop
