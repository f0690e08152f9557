#pragma once
// The HTTP side: a middleware that gives each request its context, and the
// /orders/<n> handler.

#include <tether/http.hpp>

#include "order_store.hpp"

namespace demo {

/// Middleware: runs `next` inside context.run({request_id, user, order}), so
/// everything the handler starts, however deep and however asynchronous,
/// sees this request's store. Request ids are "req-1", "req-2", ...
tether::http::handler with_request_context(tether::http::handler next);

/// GET /orders/<n>: quotes the order; the body names the request as the
/// store sees it at the very end, after every await:
///   "request_id=req-17 user=u3 order=42 quote=3 x widget = 8.97"
tether::http::handler order_handler(const order_store& store);

}  // namespace demo
