#pragma once
// The one piece of state the whole demo shares: who the current request is.
//
// The middleware (server.cpp) sets it once per request with
// context.run(...); the business and data-access layers never receive the
// request, yet their log lines name it, because the store follows every
// co_await, timer, fs call and thread-pool job the handler starts.

#include <cstdint>
#include <string>

#include <tether/async_local_storage.hpp>

namespace demo {

struct request_context {
  std::string request_id;  // "req-17": assigned by the server, one per request
  std::string user;        // from the X-User header
  std::uint64_t order = 0;  // the order the URL asked for (/orders/<n>)
};

/// The request the code running now belongs to (nullptr outside a request).
inline tether::async_local_storage<request_context> context;

}  // namespace demo
