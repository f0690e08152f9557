#include "orders.hpp"

#include <chrono>
#include <cstdio>

#include <tether/timers.hpp>
#include <tether/work.hpp>

#include "logger.hpp"

namespace demo {

namespace {

/// Stands in for real CPU work (tax rules, currency conversion): done on
/// libuv's thread pool so the loop keeps serving other requests.
std::uint64_t price_with_tax(std::uint64_t quantity, std::uint64_t unit_cents) {
  std::uint64_t total = quantity * unit_cents;
  std::uint64_t spin = total;
  for (int i = 0; i < 2000; ++i) {
    spin = spin * 6364136223846793005ULL + 1442695040888963407ULL;
  }
  return total + total / 5 + (spin & 1);  // 20% tax, plus one cent of "rounding"
}

std::string format_cents(std::uint64_t cents) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llu.%02llu", static_cast<unsigned long long>(cents / 100),
                static_cast<unsigned long long>(cents % 100));
  return buf;
}

}  // namespace

tether::promise<order_quote> quote_order(const order_store& store, std::uint64_t order) {
  log().info(order, "quoting order " + std::to_string(order));
  order_record rec = co_await store.load(order);

  // A named lambda: g++ 12 mishandles temporaries in a co_await operand.
  auto price = [q = rec.quantity, c = rec.unit_price_cents] { return price_with_tax(q, c); };
  std::uint64_t total = co_await tether::queue_work(price);
  log().info(order, "priced order " + std::to_string(order) + " on the thread pool");

  // The inventory service answers in 0-3 ms.
  co_await tether::delay(std::chrono::milliseconds(order % 4));
  log().info(order, "inventory confirmed order " + std::to_string(order));

  co_return order_quote{order, total,
                        std::to_string(rec.quantity) + " x " + rec.item + " = " + format_cents(total)};
}

}  // namespace demo
