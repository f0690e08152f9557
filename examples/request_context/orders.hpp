#pragma once
// The business layer: prices an order. It awaits the data-access layer, a
// thread-pool computation and a simulated downstream call (a timer), and
// logs through demo::log() without ever being given the request.

#include <cstdint>
#include <string>

#include <tether/promise.hpp>

#include "order_store.hpp"

namespace demo {

struct order_quote {
  std::uint64_t order = 0;
  std::uint64_t total_cents = 0;
  std::string text;  // "3 x widget = 7.47"
};

tether::promise<order_quote> quote_order(const order_store& store, std::uint64_t order);

}  // namespace demo
