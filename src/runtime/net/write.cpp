// Writing: one WRITEWRAP per write() (the request keeps the string alive
// until libuv is done with it), one SHUTDOWNWRAP for end(), buffered_amount
// and drained() against the high-water mark.

#include <algorithm>
#include <memory>
#include <vector>
#include <utility>

#include <tether/error.hpp>
#include <tether/event_loop.hpp>
#include <tether/integration.hpp>
#include <tether/uv_error.hpp>

#include "runtime/net/tcp_state.hpp"

namespace tether::detail {
namespace {

constexpr std::string_view write_type = "WRITEWRAP";
constexpr std::string_view shutdown_type = "SHUTDOWNWRAP";

/// A request on a socket: its resource (trigger: the socket), the libuv
/// request, and the callback. `status` is set by the completion (or by a
/// synchronous failure, completed soon).
template <class Uv>
struct stream_req : resource {
  Uv req{};
  tcp_socket_state* owner = nullptr;
  status_callback cb;
  int status = 0;
};

struct write_req final : stream_req<uv_write_t> {
  std::string data;
  std::size_t size = 0;

  /// Inside the WRITEWRAP's scope.
  void complete() {
    tcp_socket_state& s = *owner;
    const std::error_code ec = make_uv_error_code(status);
    status_callback done = std::move(cb);
    cb = nullptr;
    if (!ec) {
      s.touch();
    }
    done(ec);
    if (ec != std::errc::operation_canceled) {
      // A canceled write means the socket closed: its close callback fails
      // the drained() waiters.
      s.settle_drain(ec);
    }
  }
  void finish() noexcept {
    emit_destroy(*this);
    delete this;
  }

  static void on_write(uv_write_t* r, int status) {
    auto& w = *static_cast<write_req*>(r->data);
    w.status = status;
    w.owner->buffered -= w.size;
    w.data = std::string();  // released before the callback runs
    if (w.owner->loop->closing()) {
      w.finish();
      return;
    }
    w.owner->loop->run_callback(
        w, [&] { w.complete(); }, [&] { w.finish(); });
  }
  static void run_deferred(write_req& w) { w.complete(); }
  static void finish_deferred(write_req& w, bool) noexcept { w.finish(); }
};

struct shutdown_req final : stream_req<uv_shutdown_t> {
  void complete() {
    status_callback done = std::move(cb);
    cb = nullptr;
    done(make_uv_error_code(status));
  }
  void finish() noexcept {
    emit_destroy(*this);
    delete this;
  }

  static void on_shutdown(uv_shutdown_t* r, int status) {
    auto& q = *static_cast<shutdown_req*>(r->data);
    q.status = status;
    if (q.owner->loop->closing()) {
      q.finish();
      return;
    }
    q.owner->loop->run_callback(
        q, [&] { q.complete(); }, [&] { q.finish(); });
  }
  static void run_deferred(shutdown_req& q) { q.complete(); }
  static void finish_deferred(shutdown_req& q, bool) noexcept { q.finish(); }
};

/// An operation on a closed socket: fails with ECANCELED from a microtask
/// (the socket's scope is over: its destroy may have fired). The current
/// loop, not the socket's: the handle may have outlived its loop.
void fail_closed(status_callback cb) {
  schedule_microtask(current_core(), [cb = std::move(cb)]() mutable {
    cb(make_uv_error_code(UV_ECANCELED));
  });
}

}  // namespace

void tcp_socket_state::settle_drain(std::error_code ec) {
  if (drain_waiters.empty() || (!ec && buffered >= high_water_mark)) {
    return;
  }
  std::vector<status_callback> waiters = std::move(drain_waiters);
  drain_waiters.clear();
  for (status_callback& w : waiters) {
    w(ec);
  }
}

}  // namespace tether::detail

namespace tether::net {

using detail::tcp_socket_state;

namespace {
void check_not_ended(const tcp_socket_state& s) {
  if (s.ended) {
    throw usage_error(
        "tether::net::socket::write() called after end(); the write side is shut down (end() "
        "sends FIN after the pending writes): write everything before calling end()");
  }
}
}  // namespace

void socket::write(std::string data, detail::unique_function<void(std::error_code)> cb) {
  tcp_socket_state& s = require("write");
  check_not_ended(s);
  if (!s.open) {
    detail::fail_closed(std::move(cb));
    return;
  }
  auto w = std::make_unique<detail::write_req>();
  w->owner = &s;
  w->cb = std::move(cb);
  w->data = std::move(data);
  w->size = w->data.size();
  w->req.data = w.get();
  emit_init(*w, detail::write_type, s.id());
  s.buffered += w->size;
  // uv_buf_t lengths are unsigned int: a string over 1 GiB goes as several
  // buffers of one request (libuv copies the array); the usual case needs
  // no array on the heap.
  constexpr std::size_t max_buf = std::size_t{1} << 30;
  uv_buf_t one = uv_buf_init(w->data.data(), static_cast<unsigned>(std::min(max_buf, w->size)));
  std::vector<uv_buf_t> many;
  for (std::size_t off = 0; w->size > max_buf && off < w->size; off += max_buf) {
    many.push_back(
        uv_buf_init(w->data.data() + off, static_cast<unsigned>(std::min(max_buf, w->size - off))));
  }
  const uv_buf_t* bufs = many.empty() ? &one : many.data();
  const auto nbufs = static_cast<unsigned>(many.empty() ? 1 : many.size());
  if (const int rc = uv_write(&w->req, s.stream(), bufs, nbufs, &detail::write_req::on_write);
      rc < 0) {
    s.buffered -= w->size;
    w->status = rc;
    detail::complete_soon(*s.loop, *w);
  }
  w.release();  // owned by libuv (or the queued completion) until finish()
}

promise<void> socket::write(std::string data) {
  tcp_socket_state& s = require("write");
  check_not_ended(s);
  if (!s.open) {
    return promise<void>::reject(std::make_exception_ptr(
        uv_error(make_uv_error_code(UV_ECANCELED), "write", s.peer_name())));
  }
  auto [p, r] = make_promise<void>();
  write(std::move(data), [r = std::move(r), sp = &s](std::error_code ec) mutable {
    if (ec) {
      r.reject(std::make_exception_ptr(uv_error(ec, "write", sp->peer_name())));
    } else {
      r.resolve();
    }
  });
  return std::move(p);
}

void socket::end(detail::unique_function<void(std::error_code)> cb) {
  tcp_socket_state& s = require("end");
  if (s.ended) {
    throw usage_error(
        "tether::net::socket::end() called twice; the first end() already shuts the write side "
        "down (await it, or use its callback, to know when)");
  }
  if (!s.open) {
    detail::fail_closed(std::move(cb));
    return;
  }
  s.ended = true;
  auto q = std::make_unique<detail::shutdown_req>();
  q->owner = &s;
  q->cb = std::move(cb);
  q->req.data = q.get();
  emit_init(*q, detail::shutdown_type, s.id());
  // libuv queues the shutdown behind the pending writes.
  if (const int rc = uv_shutdown(&q->req, s.stream(), &detail::shutdown_req::on_shutdown);
      rc < 0) {
    q->status = rc;
    detail::complete_soon(*s.loop, *q);
  }
  q.release();
}

promise<void> socket::end() {
  tcp_socket_state& s = require("end");
  if (!s.open && !s.ended) {
    return promise<void>::reject(std::make_exception_ptr(
        uv_error(make_uv_error_code(UV_ECANCELED), "shutdown", s.peer_name())));
  }
  auto [p, r] = make_promise<void>();
  end([r = std::move(r), sp = &s](std::error_code ec) mutable {
    if (ec) {
      r.reject(std::make_exception_ptr(uv_error(ec, "shutdown", sp->peer_name())));
    } else {
      r.resolve();
    }
  });
  return std::move(p);
}

std::size_t socket::buffered_amount() const noexcept { return s_ != nullptr ? s_->buffered : 0; }

bool socket::needs_drain() const noexcept {
  return s_ != nullptr && s_->buffered >= s_->high_water_mark;
}

std::size_t socket::high_water_mark() const noexcept {
  return s_ != nullptr ? s_->high_water_mark : 0;
}

promise<void> socket::drained() {
  tcp_socket_state& s = require("drained");
  if (!s.open) {
    return promise<void>::reject(std::make_exception_ptr(
        uv_error(make_uv_error_code(UV_ECANCELED), "write", s.peer_name())));
  }
  if (s.buffered < s.high_water_mark) {
    return promise<void>::resolve();
  }
  auto [p, r] = make_promise<void>();
  s.drain_waiters.emplace_back([r = std::move(r), sp = &s](std::error_code ec) mutable {
    if (ec) {
      r.reject(std::make_exception_ptr(uv_error(ec, "write", sp->peer_name())));
    } else {
      r.resolve();
    }
  });
  return std::move(p);
}

}  // namespace tether::net
