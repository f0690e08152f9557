// net::socket: the TCPWRAP state's life (create, close, free), reading with
// backpressure, the idle timeout, and the socket's public methods other than
// writing (write.cpp).

#include <signal.h>

#include <csignal>
#include <memory>
#include <utility>

#include <tether/error.hpp>
#include <tether/event_loop.hpp>
#include <tether/integration.hpp>
#include <tether/timers.hpp>
#include <tether/uv_error.hpp>

#include "runtime/net/tcp_state.hpp"

namespace tether::detail {
namespace {

// One 64 KiB read buffer per loop thread (one loop per thread), reused by
// every read: libuv calls alloc_cb, reads, then read_cb, which copies the
// bytes out before any user code runs, so it is never in use twice.
constexpr std::size_t read_buffer_size = std::size_t{64} * 1024;

char* read_buffer() {
  thread_local std::unique_ptr<char[]> buffer;
  if (!buffer) {
    buffer = std::make_unique<char[]>(read_buffer_size);
  }
  return buffer.get();
}

void on_alloc(uv_handle_t*, std::size_t, uv_buf_t* buf) {
  buf->base = read_buffer();
  buf->len = read_buffer_size;
}

std::error_code uv_code(int rc) noexcept { return make_uv_error_code(rc); }

// Writing to a connection the peer has reset raises SIGPIPE, whose default
// action kills the process; libuv writes with writev(), which has no
// MSG_NOSIGNAL. Node ignores SIGPIPE at start-up; we do it when the first
// socket is made, unless the program installed a handler of its own.
void ignore_sigpipe() noexcept {
  static const bool done = [] {
    struct sigaction old {};
    if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) {
      ::signal(SIGPIPE, SIG_IGN);
    }
    return true;
  }();
  (void)done;
}

void stop_reading(tcp_socket_state& s) noexcept {
  if (s.reading) {
    uv_read_stop(s.stream());
    s.reading = false;
  }
}

/// Flowing mode: calls on_data (the caller is inside the socket's scope).
/// The callback is moved out while it runs, since it may replace or clear
/// itself, or close the socket; it is put back after unless it did.
void call_on_data(tcp_socket_state& s, std::error_code ec, std::string_view data) {
  data_callback cb = std::move(s.on_data);
  s.on_data = nullptr;
  ++s.pins;
  struct put_back {
    tcp_socket_state& s;
    data_callback& cb;
    ~put_back() {
      if (s.flowing && s.open && !s.on_data) {
        s.on_data = std::move(cb);
      }
      cb = nullptr;
      --s.pins;
    }
  } guard{s, cb};
  cb(ec, data);
}

/// Flowing mode: hands a chunk (or the end: an empty view) to on_data
/// inside the socket's scope.
void deliver_data(tcp_socket_state& s, std::error_code ec, std::string_view data) {
  ++s.pins;
  s.loop->run_callback(
      s, [&] { call_on_data(s, ec, data); }, [] {});
  --s.pins;
  s.maybe_free();
}

/// Hands (ec, data) to the waiting reader, inside the socket's scope.
void deliver(tcp_socket_state& s, std::error_code ec, std::string data) {
  read_callback cb = std::move(s.reader);
  s.reader = nullptr;
  ++s.pins;
  s.loop->run_callback(
      s, [&] { cb(ec, std::move(data)); }, [&] { cb = nullptr; });
  --s.pins;
  s.maybe_free();
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  tcp_socket_state& s = tcp_socket_state::of(reinterpret_cast<uv_handle_t*>(stream));
  if (nread == 0) {
    return;  // EAGAIN: nothing this time
  }
  if (nread > 0) {
    s.touch();
    if (s.flowing && s.on_data && !s.delivery_due) {
      // No copy: the view into the loop's read buffer is valid during the call.
      deliver_data(s, {}, std::string_view(buf->base, static_cast<std::size_t>(nread)));
    } else if (s.reader && !s.delivery_due) {
      deliver(s, {}, std::string(buf->base, static_cast<std::size_t>(nread)));
    } else {
      // Nobody reads: keep the chunk and pause, so that TCP holds the peer
      // back until the next read().
      s.stash.append(buf->base, static_cast<std::size_t>(nread));
      s.has_stash = true;
      stop_reading(s);
    }
    return;
  }
  stop_reading(s);
  s.read_end = static_cast<int>(nread);
  const std::error_code ec = nread == UV_EOF ? std::error_code() : uv_code(s.read_end);
  if (s.flowing && s.on_data && !s.delivery_due) {
    deliver_data(s, ec, {});
  } else if (s.reader && !s.delivery_due) {
    deliver(s, ec, std::string());
  }
}

/// Delivers what is already there (a stashed chunk, the end) soon, inside
/// the socket's scope.
void deliver_soon(tcp_socket_state& s) {
  if (s.delivery_due) {
    return;
  }
  s.delivery_due = true;
  ++s.pins;
  try {
    complete_soon(*s.loop, s);
  } catch (...) {
    --s.pins;
    s.delivery_due = false;
    throw;
  }
}

/// Flowing mode, not paused: delivers what waits, or reads.
void start_flowing(tcp_socket_state& s) {
  if (!s.open || !s.flowing || s.paused) {
    return;
  }
  if (s.has_stash || s.read_end != 0) {
    deliver_soon(s);
    return;
  }
  if (!s.reading) {
    if (const int rc = uv_read_start(s.stream(), &on_alloc, &on_read); rc < 0) {
      s.read_end = rc;
      deliver_soon(s);
      return;
    }
    s.reading = true;
  }
}

void start_timer_for(tcp_socket_state& s) {
  const std::uint32_t generation = s.timeout_generation;
  tcp_socket_state* sp = &s;
  timer_node* t = s.loop->start_timer(
      [sp, generation] {
        if (sp->timeout_generation != generation || !sp->on_timeout) {
          return;
        }
        // Moved out while it runs: it may call set_timeout() itself.
        unique_function<void()> f = std::move(sp->on_timeout);
        sp->on_timeout = nullptr;
        f();
        if (sp->timeout_generation == generation && !sp->on_timeout) {
          sp->on_timeout = std::move(f);
        }
      },
      s.timeout_ms, false);
  retain(t);
  s.loop->set_timer_ref(*t, false);  // as Node's socket timeouts: never keeps the loop alive
  s.timer = t;
}

}  // namespace

tcp_socket_state* tcp_socket_state::create(loop_core& loop, async_id trigger,
                                           std::size_t high_water_mark) {
  ignore_sigpipe();
  auto s = std::make_unique<tcp_socket_state>();
  s->loop = &loop;
  s->high_water_mark = high_water_mark;
  if (const int rc = uv_tcp_init(loop.uv(), &s->tcp); rc < 0) {
    throw uv_error(uv_code(rc), "tcp_init");
  }
  s->tcp.data = s.get();
  emit_init(*s, tcp_type, trigger);
  s->open = true;
  loop.add_handle_owner(*s);
  return s.release();
}

void tcp_socket_state::start_close() noexcept {
  if (!open) {
    return;
  }
  open = false;
  reading = false;
  stop_timeout();
  loop->remove_handle_owner(*this);
  uv_close(handle(), &tcp_socket_state::on_close);
}

// libuv has completed every request on the stream (ECANCELED) before this.
void tcp_socket_state::on_close(uv_handle_t* h) {
  tcp_socket_state& s = of(h);
  s.closed = true;
  ++s.pins;
  read_callback reader = std::move(s.reader);
  s.reader = nullptr;
  data_callback data = std::move(s.on_data);  // dropped: never called after close()
  s.on_data = nullptr;
  std::vector<status_callback> drains = std::move(s.drain_waiters);
  s.drain_waiters.clear();
  s.on_timeout = nullptr;
  if (s.timer != nullptr) {
    release(std::exchange(s.timer, nullptr));
  }
  if (s.loop->closing() || (!reader && drains.empty())) {
    emit_destroy(s);
  } else {
    const std::error_code canceled = uv_code(UV_ECANCELED);
    s.loop->run_callback(
        s,
        [&] {
          if (reader) {
            std::exchange(reader, nullptr)(canceled, std::string());
          }
          for (status_callback& d : drains) {
            std::exchange(d, nullptr)(canceled);
          }
        },
        [&] { emit_destroy(s); });
  }
  // Dropping unrun callbacks may reclaim coroutines that own handles.
  reader = nullptr;
  data = nullptr;
  drains.clear();
  --s.pins;
  s.maybe_free();
}

void tcp_socket_state::release_owner() noexcept {
  owned = false;
  start_close();
  maybe_free();
}

void tcp_socket_state::maybe_free() noexcept { free_if_unused(*this); }

std::string tcp_socket_state::peer_name() const {
  return endpoint(reinterpret_cast<const sockaddr&>(peer));
}

// --- deferred read delivery (a chunk or the end was already there) ---------

void tcp_socket_state::run_deferred(tcp_socket_state& s) {
  s.delivery_due = false;
  if (s.flowing) {
    if (!s.on_data || s.paused || !s.open) {
      return;  // resume() or on_data() schedules it again
    }
    if (s.has_stash) {
      std::string data = std::move(s.stash);
      s.stash = std::string();
      s.has_stash = false;
      call_on_data(s, {}, data);
      start_flowing(s);
    } else if (s.read_end != 0) {
      call_on_data(s, s.read_end == UV_EOF ? std::error_code() : uv_code(s.read_end), {});
    }
    return;
  }
  if (!s.reader) {
    return;
  }
  read_callback cb = std::move(s.reader);
  s.reader = nullptr;
  if (s.has_stash) {
    std::string data = std::move(s.stash);
    s.stash = std::string();
    s.has_stash = false;
    cb({}, std::move(data));
  } else {
    cb(s.read_end == UV_EOF ? std::error_code() : uv_code(s.read_end), std::string());
  }
}

void tcp_socket_state::finish_deferred(tcp_socket_state& s, bool) noexcept {
  s.delivery_due = false;
  --s.pins;
  s.maybe_free();
}

// --- idle timeout ------------------------------------------------------------

void tcp_socket_state::arm_timeout() {
  stop_timeout();
  if (timeout_ms != 0 && open) {
    start_timer_for(*this);
  }
}

void tcp_socket_state::stop_timeout() noexcept {
  if (timer != nullptr) {
    timer_node* t = std::exchange(timer, nullptr);
    if (!t->done) {
      loop->clear_timer(*t);
    }
    release(t);
  }
}

void tcp_socket_state::touch() noexcept {
  if (timeout_ms == 0 || !open) {
    return;
  }
  if (timer != nullptr && !timer->done) {
    loop->refresh_timer(*timer);
    return;
  }
  // Fired already (once per idle period): this activity starts a new one.
  try {
    arm_timeout();
  } catch (...) {
    // Out of memory for a timer node: the socket just has no timeout.
  }
}

}  // namespace tether::detail

namespace tether::net {

using detail::tcp_socket_state;

socket::socket(tcp_socket_state* s) noexcept : s_(s) { s_->owned = true; }

socket::socket(socket&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}

socket& socket::operator=(socket&& o) noexcept {
  if (this != &o) {
    if (s_ != nullptr) {
      s_->release_owner();
    }
    s_ = std::exchange(o.s_, nullptr);
  }
  return *this;
}

socket::~socket() {
  if (s_ != nullptr) {
    s_->release_owner();
  }
}

tcp_socket_state& socket::require(const char* what) const {
  if (s_ == nullptr) {
    throw usage_error(std::string("tether::net::socket::") + what +
                      "() called on an empty socket (default-constructed or moved-from); use a "
                      "socket from connect() or server::accept()");
  }
  return *s_;
}

async_id socket::id() const noexcept { return s_ != nullptr ? s_->id() : 0; }

bool socket::is_open() const noexcept { return s_ != nullptr && s_->open; }

void socket::read(detail::unique_function<void(std::error_code, std::string)> cb) {
  tcp_socket_state& s = require("read");
  if (s.reader) {
    throw usage_error(
        "tether::net::socket::read() called while another read() is pending; await (or wait for "
        "the callback of) the first one before reading again");
  }
  if (s.flowing) {
    throw usage_error(
        "tether::net::socket::read() called on a socket in flowing mode (on_data() is set); call "
        "on_data(nullptr) first to read chunk by chunk");
  }
  if (!s.open) {
    // Not s.loop: the handle may have outlived its loop.
    detail::schedule_microtask(detail::current_core(), [cb = std::move(cb)]() mutable {
      cb(make_uv_error_code(UV_ECANCELED), std::string());
    });
    return;
  }
  s.reader = std::move(cb);
  if (s.has_stash || s.read_end != 0) {
    try {
      detail::deliver_soon(s);
    } catch (...) {
      s.reader = nullptr;
      throw;
    }
    return;
  }
  if (!s.reading) {
    if (const int rc = uv_read_start(s.stream(), &detail::on_alloc, &detail::on_read); rc < 0) {
      s.read_end = rc;
      detail::deliver_soon(s);
      return;
    }
    s.reading = true;
  }
}

void socket::on_data(detail::unique_function<void(std::error_code, std::string_view)> cb) {
  tcp_socket_state& s = require("on_data");
  if (s.reader) {
    throw usage_error(
        "tether::net::socket::on_data() called while a read() is pending; let it settle first");
  }
  if (!cb) {
    s.flowing = false;
    s.paused = false;
    s.on_data = nullptr;
    detail::stop_reading(s);
    return;
  }
  s.on_data = std::move(cb);
  s.flowing = true;
  s.paused = false;
  detail::start_flowing(s);
}

void socket::pause() noexcept {
  if (s_ != nullptr && s_->flowing) {
    s_->paused = true;
    detail::stop_reading(*s_);
  }
}

void socket::resume() {
  tcp_socket_state& s = require("resume");
  if (s.flowing && s.paused) {
    s.paused = false;
    detail::start_flowing(s);
  }
}

bool socket::is_paused() const noexcept { return s_ != nullptr && s_->flowing && s_->paused; }

promise<std::string> socket::read() {
  tcp_socket_state& s = require("read");
  if (!s.open) {
    return promise<std::string>::reject(std::make_exception_ptr(
        uv_error(make_uv_error_code(UV_ECANCELED), "read", s.peer_name())));
  }
  auto [p, r] = make_promise<std::string>();
  read([r = std::move(r), sp = &s](std::error_code ec, std::string data) mutable {
    if (ec) {
      r.reject(std::make_exception_ptr(uv_error(ec, "read", sp->peer_name())));
    } else {
      r.resolve(std::move(data));
    }
  });
  return std::move(p);
}

void socket::close() noexcept {
  if (s_ != nullptr) {
    s_->start_close();
  }
}

void socket::set_timeout(std::chrono::milliseconds ms, detail::unique_function<void()> on_timeout) {
  tcp_socket_state& s = require("set_timeout");
  ++s.timeout_generation;
  s.timeout_ms = ms.count() > 0 ? static_cast<std::uint64_t>(ms.count()) : 0;
  s.on_timeout = s.timeout_ms != 0 ? std::move(on_timeout) : nullptr;
  s.arm_timeout();
}

void socket::set_no_delay(bool enable) {
  tcp_socket_state& s = require("set_no_delay");
  if (s.open) {
    uv_tcp_nodelay(&s.tcp, enable ? 1 : 0);
  }
}

uv_tcp_t* socket::native_handle() const noexcept {
  return s_ != nullptr && s_->open ? &s_->tcp : nullptr;
}

void socket::set_keep_alive(bool enable, std::chrono::seconds delay) {
  tcp_socket_state& s = require("set_keep_alive");
  if (s.open) {
    const auto secs = delay.count() > 0 ? static_cast<unsigned>(delay.count()) : 1U;
    uv_tcp_keepalive(&s.tcp, enable ? 1 : 0, secs);
  }
}

address socket::local_address() const {
  tcp_socket_state& s = require("local_address");
  sockaddr_storage ss{};
  int len = sizeof ss;
  const int rc = s.open ? uv_tcp_getsockname(&s.tcp, reinterpret_cast<sockaddr*>(&ss), &len)
                        : UV_EBADF;
  if (rc < 0) {
    throw uv_error(make_uv_error_code(rc), "getsockname");
  }
  return detail::to_address(reinterpret_cast<const sockaddr&>(ss));
}

address socket::remote_address() const {
  tcp_socket_state& s = require("remote_address");
  sockaddr_storage ss{};
  int len = sizeof ss;
  const int rc = s.open ? uv_tcp_getpeername(&s.tcp, reinterpret_cast<sockaddr*>(&ss), &len)
                        : UV_EBADF;
  if (rc < 0) {
    throw uv_error(make_uv_error_code(rc), "getpeername");
  }
  return detail::to_address(reinterpret_cast<const sockaddr&>(ss));
}

}  // namespace tether::net
