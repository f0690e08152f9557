// Writing, as Node's StreamBase::Write: first uv_try_write, and only what
// the kernel did not take at once goes into a WRITEWRAP (the request keeps
// the string alive until libuv is done with it); one SHUTDOWNWRAP for end();
// buffered_amount and drained() against the high-water mark.

#include <uv.h>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include <tether/error.hpp>
#include <tether/event_loop.hpp>
#include <tether/integration.hpp>
#include <tether/uv_error.hpp>

#include "runtime/net/tcp_state.hpp"
#include "runtime/request.hpp"

namespace tether::detail {
namespace {

constexpr std::string_view write_type = "WRITEWRAP";
constexpr std::string_view shutdown_type = "SHUTDOWNWRAP";

/// `data` from `offset` on as libuv buffers. uv_buf_t lengths are unsigned
/// int: a string over 1 GiB goes as several buffers (libuv copies the array
/// into the request); the usual case needs no array on the heap.
class buffers {
 public:
  static constexpr std::size_t max_buf = std::size_t{1} << 30;

  buffers(std::string& data, std::size_t offset) {
    const std::size_t size = data.size() - offset;
    one_ = uv_buf_init(data.data() + offset, static_cast<unsigned>(std::min(max_buf, size)));
    for (std::size_t off = offset; size > max_buf && off < data.size(); off += max_buf) {
      many_.push_back(uv_buf_init(data.data() + off,
                                  static_cast<unsigned>(std::min(max_buf, data.size() - off))));
    }
  }
  const uv_buf_t* data() const noexcept { return many_.empty() ? &one_ : many_.data(); }
  unsigned count() const noexcept {
    return many_.empty() ? 1U : static_cast<unsigned>(many_.size());
  }

 private:
  uv_buf_t one_;
  std::vector<uv_buf_t> many_;
};

/// Node's StreamBase::Write, its first step: hands the kernel what it takes
/// of `data` at once (uv_try_write). Returns 0 if it took everything, the
/// error of that attempt (EPIPE...), or 1: the rest, from `written` on, must
/// be queued in a WRITEWRAP.
int try_write(tcp_socket_state& s, std::string& data, std::size_t& written) {
  written = 0;
  // Until every earlier write's completion has run, a new one waits behind
  // it, so that completions run in the order of the writes (Node's Writable
  // has one write in flight at a time).
  if (s.buffered != 0) {
    return 1;
  }
  const buffers bufs(data, 0);
  const int n = uv_try_write(s.stream(), bufs.data(), bufs.count());
  if (n == UV_EAGAIN) {
    return 1;
  }
  if (n < 0) {
    return n;
  }
  written = static_cast<std::size_t>(n);
  if (written != 0) {
    s.touch();
  }
  return written == data.size() ? 0 : 1;
}

/// One write() whose data the kernel did not take at once: WRITEWRAP,
/// trigger = the socket.
struct write_request final : socket_request<uv_write_t> {
  using socket_request::socket_request;
  write_request(const write_request&) = delete;
  write_request& operator=(const write_request&) = delete;
  ~write_request() { release_buffered(); }

  /// Inside the WRITEWRAP's scope.
  void complete() {
    release_buffered();
    tcp_socket_state& s = *socket;
    const std::error_code ec = make_uv_error_code(status);
    status_callback done = std::move(cb);
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

  /// Bytes counted in the socket's buffered_amount until the completion runs.
  void release_buffered() noexcept { socket->buffered -= std::exchange(pending, 0); }

  static void on_write(uv_write_t* r, int status) {
    auto& w = request_of<write_request>(r);
    w.status = status;
    w.data = std::string();  // released before the callback runs, even held back
    complete_request(w);
  }

  std::string data;
  std::size_t pending = 0;
  status_callback cb;
};

/// Queues what is left of `data` after `offset` in a WRITEWRAP.
void queue_write(tcp_socket_state& s, std::string data, std::size_t offset, status_callback cb) {
  auto w = std::make_unique<write_request>(s);
  w->data = std::move(data);
  w->cb = std::move(cb);
  start_request_or_fail_soon(std::move(w), *s.loop, write_type, s.id(), [&](write_request& r) {
    r.pending = r.data.size() - offset;
    s.buffered += r.pending;
    const buffers bufs(r.data, offset);
    const int rc = uv_write(&r.req, s.stream(), bufs.data(), bufs.count(), &write_request::on_write);
    if (rc < 0) {
      r.release_buffered();
    }
    return rc;
  });
}

/// end(): SHUTDOWNWRAP, trigger = the socket; libuv queues it behind the
/// pending writes.
struct shutdown_request final : socket_request<uv_shutdown_t> {
  using socket_request::socket_request;

  void complete() {
    status_callback done = std::move(cb);
    done(make_uv_error_code(status));
  }

  static void on_shutdown(uv_shutdown_t* r, int status) {
    auto& q = request_of<shutdown_request>(r);
    q.status = status;
    complete_request(q);
  }

  status_callback cb;
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

// Node's StreamBase::Write: a write the kernel takes at once creates no
// WRITEWRAP; its callback runs from a next_tick (a TickObject, trigger = the
// current id, as Node's afterWriteDispatched -> process.nextTick), and an
// error from that first attempt is reported the same way.
void socket::write(std::string data, detail::unique_function<void(std::error_code)> cb) {
  tcp_socket_state& s = require("write");
  check_not_ended(s);
  if (!s.open) {
    detail::fail_closed(std::move(cb));
    return;
  }
  std::size_t written = 0;
  if (const int rc = detail::try_write(s, data, written); rc <= 0) {
    detail::schedule_tick(*s.loop, [cb = std::move(cb), rc]() mutable {
      cb(rc == 0 ? std::error_code() : make_uv_error_code(rc));
    });
    return;
  }
  detail::queue_write(s, std::move(data), written, std::move(cb));
}

promise<void> socket::write(std::string data) {
  tcp_socket_state& s = require("write");
  check_not_ended(s);
  if (!s.open) {
    return promise<void>::reject(std::make_exception_ptr(
        uv_error(make_uv_error_code(UV_ECANCELED), "write", s.peer_name())));
  }
  std::size_t written = 0;
  if (const int rc = detail::try_write(s, data, written); rc <= 0) {
    return rc == 0 ? promise<void>::resolve()
                   : promise<void>::reject(std::make_exception_ptr(
                         uv_error(make_uv_error_code(rc), "write", s.peer_name())));
  }
  auto [p, r] = make_promise<void>();
  detail::queue_write(s, std::move(data), written,
                      [r = std::move(r), sp = &s](std::error_code ec) mutable {
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
  auto q = std::make_unique<detail::shutdown_request>(s);
  q->cb = std::move(cb);
  detail::start_request_or_fail_soon(
      std::move(q), *s.loop, detail::shutdown_type, s.id(), [&](detail::shutdown_request& r) {
        return uv_shutdown(&r.req, s.stream(), &detail::shutdown_request::on_shutdown);
      });
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
