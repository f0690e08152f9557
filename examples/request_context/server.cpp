#include "server.hpp"

#include <charconv>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "logger.hpp"
#include "orders.hpp"
#include "request_context.hpp"

namespace demo {

namespace {

/// "/orders/42" -> 42; 0 for anything else.
std::uint64_t order_in(std::string_view path) {
  constexpr std::string_view prefix = "/orders/";
  if (!path.starts_with(prefix)) {
    return 0;
  }
  path.remove_prefix(prefix.size());
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), n);
  return ec == std::errc{} && end == path.data() + path.size() ? n : 0;
}

tether::promise<void> handle_order(const order_store& store, tether::http::request& req,
                                   tether::http::response& res) {
  // The handler parses the URL itself, as real code would; the store is
  // only read for the log prefix and the reply, so a leaked context shows up
  // as a mismatch between the two.
  const std::uint64_t order = order_in(req.path());
  if (order == 0) {
    res.status(404);
    co_await res.end("no such route\n");
    co_return;
  }
  log().info(order, std::string(req.method()) + " " + std::string(req.target()));

  order_quote quote = co_await quote_order(store, order);

  const request_context& ctx = *context.get_store();
  res.set_header("content-type", "text/plain");
  res.set_header("x-request-id", ctx.request_id);
  std::string body = "request_id=" + ctx.request_id + " user=" + ctx.user +
                     " order=" + std::to_string(ctx.order) + " quote=" + quote.text + "\n";
  log().info(order, "answered order " + std::to_string(order));
  co_await res.end(std::move(body));
}

}  // namespace

tether::http::handler with_request_context(tether::http::handler next) {
  auto inner = std::make_shared<tether::http::handler>(std::move(next));
  return [inner, sequence = std::uint64_t{0}](tether::http::request& req,
                                              tether::http::response& res) mutable {
    request_context ctx{"req-" + std::to_string(++sequence), std::string(req.header("x-user")),
                        order_in(req.path())};
    return context.run(std::move(ctx), *inner, req, res);
  };
}

tether::http::handler order_handler(const order_store& store) {
  return [&store](tether::http::request& req, tether::http::response& res) {
    return handle_order(store, req, res);
  };
}

}  // namespace demo
