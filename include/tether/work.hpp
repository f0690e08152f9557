#pragma once
// queue_work: run a function on libuv's thread pool and get its result back
// on the loop thread, in the submitter's context.
//
// Each job is one "QUEUEWORK" resource (Node has no public equivalent; its
// thread-pool providers are per use, like PBKDF2REQUEST or ZLIB, and N-API's
// napi_async_work takes the type from the caller; the name says which call
// made it). Its life, as hooks see it:
//
//   init QUEUEWORK <id> trigger <current id>   loop thread, at queue_work()
//   before <id> / after <id>                    pool thread, around fn
//   before <id> / after <id>                    loop thread, around the completion
//   destroy <id>                                loop thread, right after that `after`
//
// fn runs inside the job's callback_scope on the pool thread, so inside fn
// execution_async_id() is the job's id and async_local_storage::get_store()
// sees the stores current at queue_work() (the context frame is shared, not
// copied; it is immutable and reference-counted atomically). The completion
// (the callback, or the promise's resolution) runs on the loop thread inside
// the same resource's scope, then the tick/microtask drain follows, as after
// any Node callback. The loop stays alive until every job has completed.
//
// fn must not use the loop (timers, fs, next_tick...): the pool thread has
// none, so those calls throw usage_error, which then rejects / reports the
// job. fn's captures are destroyed on the loop thread, after fn ran and
// before the completion is invoked.
//
// Loop-thread only (queue_work uses the calling thread's loop; usage_error
// otherwise). One allocation per job (plus the promise's, for that form).
//
// Destroying the loop while jobs are pending: its destructor waits for them
// (libuv's pool cannot abandon a job); each still gets its `destroy`, fn and
// the result are freed on the loop thread, and no completion runs. A job
// that completes in the loop turn in which a callback threw keeps its
// completion for the next run() (see event_loop::run()).

#include <concepts>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include <tether/detail/diagnostics.hpp>
#include <tether/promise.hpp>
#include <tether/resource.hpp>

struct uv_req_s;  // libuv's uv_req_t; <uv.h> not needed here

namespace tether {
namespace detail {

class loop_core;

/// The value fn returns, as queue_work hands it on (void stays void).
template <class F>
using work_result_t = std::remove_cvref_t<std::invoke_result_t<std::decay_t<F>&>>;

/// Not API. One job: its "QUEUEWORK" resource and the libuv request, kept as
/// opaque storage so that this header needs no <uv.h> (work.cpp checks the
/// size).
class work_base : public resource {
 public:
  work_base(const work_base&) = delete;
  work_base& operator=(const work_base&) = delete;
  virtual ~work_base() = default;

  /// Pool thread, inside the job's callback scope: runs fn, keeps its result
  /// or its exception.
  virtual void execute() noexcept = 0;
  /// Loop thread, inside the job's callback scope: releases fn, then
  /// delivers the outcome.
  virtual void complete() = 0;

  /// The uv_work_t in uv_request (work.cpp): what the runtime's one request
  /// path (src/runtime/request.hpp) needs of a request.
  uv_req_s* native() noexcept;

  static constexpr std::size_t uv_request_size = 128;
  alignas(std::max_align_t) unsigned char uv_request[uv_request_size];
  loop_core* loop = nullptr;

 protected:
  work_base() = default;
};

/// Emits `init` for `job` (in the caller's context) and hands it to libuv's
/// pool. Throws uv_error if libuv refuses it; `job` is then destroyed.
void submit_work(std::unique_ptr<work_base> job);

template <class F, class Handler>
class work_job final : public work_base {
 public:
  using result_type = work_result_t<F>;
  using stored_type = std::conditional_t<std::is_void_v<result_type>, std::monostate, result_type>;

  template <class G>
  work_job(G&& fn, Handler handler) : fn_(std::in_place, std::forward<G>(fn)), handler_(std::move(handler)) {}

  void execute() noexcept override {
    try {
      if constexpr (std::is_void_v<result_type>) {
        (*fn_)();
        value_.emplace();
      } else {
        value_.emplace((*fn_)());
      }
    } catch (...) {
      error_ = std::current_exception();
      // On the pool thread, inside the job's scope: the async trace of the
      // code that threw (tether::stack_trace), before the loop thread sees it.
      note_exception(error_);
    }
  }

  void complete() override {
    fn_.reset();
    if (!value_ && !error_) {  // libuv cancelled the job before fn ran
      error_ = std::make_exception_ptr(
          std::system_error(std::make_error_code(std::errc::operation_canceled), "queue_work"));
    }
    Handler handler = std::move(handler_);
    handler.complete(std::move(error_), std::move(value_));
  }

 private:
  std::optional<F> fn_;
  Handler handler_;
  std::optional<stored_type> value_;  // written on the pool thread, read on the loop thread
  std::exception_ptr error_;          // (libuv's completion hand-off orders them)
};

/// Calls on_done(error) or on_done(error, value); value is R{} when fn threw.
template <class C, class R>
struct work_callback {
  C on_done;
  template <class V>
  void complete(std::exception_ptr error, std::optional<V>&& value) {
    if constexpr (std::is_void_v<R>) {
      on_done(std::move(error));
    } else if (value) {
      on_done(std::move(error), std::move(*value));
    } else {
      on_done(std::move(error), R{});
    }
  }
};

/// Settles queue_work's promise with fn's value, or rejects with what it threw.
template <class R>
struct work_promise {
  resolver<R> res;
  template <class V>
  void complete(std::exception_ptr error, std::optional<V>&& value) {
    if (error) {
      res.reject(std::move(error));
    } else if constexpr (std::is_void_v<R>) {
      res.resolve();
    } else {
      res.resolve(std::move(*value));
    }
  }
};

}  // namespace detail

/// Runs `fn()` on libuv's thread pool and returns a promise of its result
/// (R: what fn returns, without reference or cv; void stays void). An
/// exception thrown by fn rejects the promise with that exception. The
/// promise ("PROMISE", created first) settles on the loop thread inside the
/// job's "QUEUEWORK" scope, in the context of this call.
///
///   auto crc = [data = std::move(data)] { return crc32(data); };
///   std::uint32_t sum = co_await tether::queue_work(std::move(crc));
///
/// g++ 12 destroys a temporary with non-trivial members twice when it is
/// part of a co_await operand (a double free), so with g++ 12 name a lambda
/// whose captures own memory before co_await-ing queue_work on it, as above
/// (the same bug hit tremotesf2: github.com/equeim/tremotesf2/pull/551).
template <class F>
  requires std::invocable<std::decay_t<F>&>
[[nodiscard]] promise<detail::work_result_t<F>> queue_work(F&& fn) {
  using R = detail::work_result_t<F>;
  auto [p, r] = make_promise<R>();
  detail::submit_work(std::make_unique<detail::work_job<std::decay_t<F>, detail::work_promise<R>>>(
      std::forward<F>(fn), detail::work_promise<R>{std::move(r)}));
  return std::move(p);
}

/// Runs `fn()` on libuv's thread pool; then, on the loop thread, in the
/// context of this call, `on_done(std::exception_ptr error, R value)` (for a
/// void fn: `on_done(std::exception_ptr error)`). `error` is null on success;
/// when fn throws it holds the exception and `value` is R{} (so R must be
/// default-constructible here; the promise form has no such need). An
/// exception escaping on_done is an uncaught exception of the loop.
/// Creates one "QUEUEWORK" resource (see the top of this header).
///
///   tether::queue_work([] { return checksum(big_file); },
///                      [](std::exception_ptr e, std::uint32_t sum) { ... });
template <class F, class C>
  requires std::invocable<std::decay_t<F>&>
void queue_work(F&& fn, C&& on_done) {
  using R = detail::work_result_t<F>;
  using handler = detail::work_callback<std::decay_t<C>, R>;
  if constexpr (std::is_void_v<R>) {
    static_assert(std::is_invocable_v<std::decay_t<C>&, std::exception_ptr>,
                  "tether::queue_work: on_done must be callable as on_done(std::exception_ptr) "
                  "for a function returning void");
  } else {
    static_assert(std::is_invocable_v<std::decay_t<C>&, std::exception_ptr, R>,
                  "tether::queue_work: on_done must be callable as on_done(std::exception_ptr, R) "
                  "where R is what fn returns");
    static_assert(std::is_default_constructible_v<R>,
                  "tether::queue_work: the callback form passes R{} when fn throws, so R must be "
                  "default-constructible; use the promise form (queue_work(fn)) otherwise");
  }
  detail::submit_work(std::make_unique<detail::work_job<std::decay_t<F>, handler>>(
      std::forward<F>(fn), handler{std::forward<C>(on_done)}));
}

}  // namespace tether
