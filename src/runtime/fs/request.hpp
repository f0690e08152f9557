#pragma once
// What every fs operation shares: its resource types, the two ways an outcome
// is delivered (a Node-style callback, a promise), and fs_request, the libuv
// request that is also the resource reporting it. fs/calls.cpp builds the
// single-request operations on these, fs/chains.cpp read_file and write_file.

#include <uv.h>

#include <exception>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include <tether/fs.hpp>
#include <tether/integration.hpp>
#include <tether/promise.hpp>
#include <tether/uv_error.hpp>

#include "runtime/loop_core.hpp"

namespace tether::fs::impl {

using tether::detail::loop_core;

inline constexpr std::string_view callback_type = "FSREQCALLBACK";  // Node's FSReqCallback
inline constexpr std::string_view promise_type = "FSREQPROMISE";    // Node's fs.promises requests

/// The result of an operation with no value.
struct none {};

/// Where an operation failed, for the error a promise rejects with.
struct failure_site {
  const char* syscall = "";
  std::string_view path;
  std::string_view dest;
};

inline int error_of(const uv_fs_t& req) noexcept {
  return req.result < 0 ? static_cast<int>(req.result) : 0;
}

inline uv_buf_t make_buf(char* base, std::size_t len) noexcept {
  uv_buf_t b;
  b.base = base;
  b.len = len;
  return b;
}

// --- handlers: how an outcome reaches the user --------------------------------

/// Delivers to a Node-style callback: (ec, value), or (ec) for no value.
template <class T>
struct callback_handler {
  using function = callback<T>;
  function cb;
  void complete(std::error_code ec, T value, const failure_site&) { cb(ec, std::move(value)); }
};

template <>
struct callback_handler<none> {
  using function = callback<>;
  function cb;
  void complete(std::error_code ec, none, const failure_site&) { cb(ec); }
};

/// What a promise form promises for an operation whose value is T.
template <class T>
using promised_t = std::conditional_t<std::is_same_v<T, none>, void, T>;

/// Settles a promise: resolves with the value, or rejects with a uv_error
/// naming the call and the path.
template <class T>
struct promise_handler {
  resolver<promised_t<T>> res;

  void complete(std::error_code ec, T value, const failure_site& where) {
    if (ec) {
      res.reject(std::make_exception_ptr(
          uv_error(ec, where.syscall, std::string(where.path), std::string(where.dest))));
    } else if constexpr (std::is_same_v<T, none>) {
      res.resolve();
    } else {
      res.resolve(std::move(value));
    }
  }
};

/// make_promise, then `start(handler)`; a synchronous failure (libuv
/// refusing the request) becomes a rejection, as in an async function.
template <class T, class Start>
promise<promised_t<T>> start_promise(Start&& start) {
  auto [p, r] = make_promise<promised_t<T>>();
  auto keep = r;  // to reject with if `start` throws after consuming `r`
  try {
    start(promise_handler<T>{std::move(r)});
  } catch (...) {
    keep.reject(std::current_exception());
  }
  return std::move(p);
}

// --- the request ---------------------------------------------------------------

/// One libuv fs request and the resource that reports it (one FSREQCALLBACK
/// or FSREQPROMISE). Its memory must stay valid until libuv's completion.
struct fs_request : resource {
  uv_fs_t req{};
  loop_core* loop = nullptr;

  /// The request a libuv callback was called with.
  static fs_request& of(uv_fs_t* r) noexcept { return *static_cast<fs_request*>(r->data); }

  /// Reports this request (`init` now, in the calling context, with `type`)
  /// and starts it: `start_uv(uv_loop, &req, on_done)` is the uv_fs_* call.
  /// Returns 0, or libuv's negative code if it refused the request, which
  /// is then cleaned up and destroyed again (nothing will call on_done).
  template <class Start>
  int start(loop_core& l, std::string_view type, uv_fs_cb on_done, Start&& start_uv) {
    loop = &l;
    req.data = this;
    emit_init(*this, type);
    const int rc = start_uv(l.uv(), &req, on_done);
    if (rc < 0) {
      uv_fs_req_cleanup(&req);
      emit_destroy(*this);
    }
    return rc;
  }
};

/// The first lines of every libuv completion callback `self`: true if the
/// loop holds the completion back because a callback threw earlier in this
/// loop turn (loop_core::defer_if_stopping); `self(req)` is called again
/// later, and the callback must return at once.
inline bool held_back(uv_fs_t* req, uv_fs_cb self) noexcept {
  return fs_request::of(req).loop->defer_if_stopping([req, self] { self(req); });
}

/// Closes `fd` synchronously (no callback, no resource): for a file a chain
/// opened when it cannot queue a close request, or when the loop goes away.
inline void close_now(uv_loop_t* loop, uv_file fd) noexcept {
  uv_fs_t close_req;
  uv_fs_close(loop, &close_req, fd, nullptr);
  uv_fs_req_cleanup(&close_req);
}

}  // namespace tether::fs::impl
