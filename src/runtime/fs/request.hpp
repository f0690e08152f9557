#pragma once
// What every fs operation shares: its resource types, the two ways an outcome
// is delivered (a Node-style callback, a promise), and fs_request, the libuv
// fs request that is also the resource reporting it (a request as
// runtime/request.hpp starts and completes every one). fs/calls.cpp builds
// the single-request operations on these, fs/chains.cpp read_file and
// write_file.

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
#include "runtime/request.hpp"

namespace tether::fs::impl {

using tether::detail::loop_core;
using tether::detail::uv_request;

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
/// or FSREQPROMISE); started and completed through runtime/request.hpp.
struct fs_request : uv_request<uv_fs_t> {
  fs_request() = default;
  fs_request(const fs_request&) = delete;
  fs_request& operator=(const fs_request&) = delete;
  /// libuv's own allocations for the request (a copied path, scandir's
  /// entries); usually released already by the completion, before the
  /// callback runs (uv_fs_req_cleanup may run twice).
  ~fs_request() { uv_fs_req_cleanup(&req); }
};

/// Closes `fd` synchronously (no callback, no resource): for a file a chain
/// opened when it cannot queue a close request, or when the loop goes away.
inline void close_now(uv_loop_t* loop, uv_file fd) noexcept {
  uv_fs_t close_req;
  uv_fs_close(loop, &close_req, fd, nullptr);
  uv_fs_req_cleanup(&close_req);
}

}  // namespace tether::fs::impl
