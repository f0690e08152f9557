#pragma once
// promise<T>: JavaScript promises and async functions for C++20, on the
// event loop (tether/event_loop.hpp), every one a tracked "PROMISE" resource.
//
//   tether::promise<int> answer() { co_await tether::delay(10ms); co_return 42; }
//   tether::promise<> main_task() {
//     int v = co_await answer();                     // 42
//     co_await answer().then([](int x) { return x + 1; });
//   }
//
// Semantics (Node's, unless listed below):
//  - A coroutine returning promise<T> is an async function: it starts
//    eagerly and runs synchronously to its first suspension; its co_return
//    fulfils the promise, an exception escaping it rejects the promise (it
//    never reaches the loop's uncaught-exception handler).
//  - `co_await p` always resumes from a microtask, even when p has already
//    settled (as JS `await`); a rejection is rethrown at the co_await.
//  - then()/catch_()/finally() callbacks run as microtasks (promise reaction
//    jobs), in registration order, with the context (execution ids and
//    async_local_storage stores) current when then() was called (Node 65).
//    An exception thrown by a callback rejects the derived promise; a
//    callback returning a promise<U> is flattened (adopted, taking the same
//    two extra microtask hops as JS's thenable job).
//  - A rejection that still has no handler (no co_await, then, catch_,
//    finally, combinator) once the microtask queue has drained is reported:
//    event_loop::on_unhandled_rejection's handler if installed, else run()
//    stops and throws tether::unhandled_rejection ("tether: unhandled promise
//    rejection: <what()>"), as Node's default --unhandled-rejections=throw.
//    Rejections are tracked by the thread's event_loop; one settled on a
//    thread with no loop is never reported.
//  - A promise<T> is a cheap reference-counted handle; copies share the
//    promise; dropping every handle cancels nothing. Loop-thread only: every
//    promise, resolver and coroutine belongs to the thread (and event_loop)
//    that created it; nothing here is thread-safe.
//  - Coroutine frames and promise states come from a per-thread free list
//    (64-byte size classes up to 1 KiB; bypassed under AddressSanitizer), so
//    a steady-state await allocates nothing.
//  - A lambda coroutine keeps its captures in the closure object: the closure
//    must outlive the coroutine (name it; do not pass a temporary to a call
//    that returns before the coroutine finishes). A then() callback that is a
//    lambda coroutine is safe: it lives in the derived promise until the
//    promise it returned has settled.
//  - A value read by several consumers (several co_awaits / then()s of one
//    promise) is copied to each; when only one consumer holds the promise it
//    is moved. For move-only T the value is moved to the first consumer.
//
// Async hooks: how tether's PROMISE events map onto Node's.
//  - init: one PROMISE per coroutine call (before its body runs, trigger =
//    the current execution id), per make_promise(), per promise::resolve /
//    promise::reject, per then/catch_/finally (trigger = the parent promise's
//    id, Node 17) and per combinator result (all, all_settled, race, any).
//    finally() creates two more, exactly where Node does (its
//    Promise.resolve(onFinally()).then(...)).
//  - promise_resolve: when a promise settles (rejection included), in the
//    settling context: right after init for resolve/reject; at the resolver
//    call; at the end of a coroutine (in its own scope, or the caller's if
//    it finished without suspending); inside the reaction job for
//    then()-derived and combinator promises (Node G.53).
//  - before/after: a then()/catch_ callback runs inside the derived
//    promise's before/after (Node 18); so do a combinator's element
//    reactions (inside the combinator's promise). A coroutine resumed after
//    co_await runs inside ITS OWN PROMISE's before/after:
//    execution_async_id() == that coroutine's promise id, trigger_async_id()
//    == its trigger, and get_store() sees the context it had when it
//    awaited, never the awaited coroutine's.
//  - destroy: synchronously, when the last handle is dropped and the
//    coroutine (if any) has finished (Node destroys promises only from GC).
//  Deliberate differences from Node:
//  - Node creates a throwaway promise per `await` (init trigger = the awaited
//    promise, the continuation runs in its before/after). tether does not:
//    an await creates no resource and costs no allocation, and the
//    continuation's execution id is the coroutine's own promise. (Awaiting
//    a promise from a coroutine type that is not tether's does create that
//    throwaway PROMISE, trigger = the awaited promise, as Node does.)
//  - Node's Promise.all/race/any/allSettled create a derived promise per
//    element (x.then(...)); tether registers the element reactions directly
//    (no resource per element).
//  - Resolving with a thenable (a then() callback returning a promise, a
//    resolver's adopt()) creates no throwaway promise either; the jobs run in
//    the outer promise's before/after.
//  - The body of a coroutine before its first co_await runs in the caller's
//    context, with no before/after, as in Node.
//  - A promise that can never settle (every resolver gone, or its coroutine
//    reclaimed) stays pending forever, as in JS; coroutines suspended on it
//    are reclaimed (their frames destroyed, so their locals' destructors
//    run, without resuming), where JS would garbage-collect them. The same
//    happens to coroutines whose resumption is discarded with the loop.

#include <chrono>
#include <coroutine>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/detail/promise_fwd.hpp>
#include <tether/detail/promise_state.hpp>
#include <tether/error.hpp>

// The public types come first; the machinery behind them (not API) is in
// detail/promise_then.hpp, detail/promise_coroutine.hpp and
// detail/promise_combinators.hpp, included at the end.

namespace tether {

// promise<T = void> and resolver<T = void> are declared in
// detail/promise_fwd.hpp.

/// One outcome of all_settled().
template <class T>
struct settled {
  bool fulfilled = false;
  std::optional<T> value;      // when fulfilled
  std::exception_ptr reason;   // when rejected
};
template <>
struct settled<void> {
  bool fulfilled = false;
  std::exception_ptr reason;
};

/// What any() rejects with when every input rejected (JS AggregateError).
/// what(): "All promises were rejected" followed by each reason's what().
class aggregate_error : public std::runtime_error {
 public:
  explicit aggregate_error(std::vector<std::exception_ptr> errors);
  const std::vector<std::exception_ptr>& errors() const noexcept { return errors_; }

 private:
  std::vector<std::exception_ptr> errors_;
};

/// A handle to a promise (a JS Promise): also the return type of async
/// coroutines. Cheap to copy (a non-atomic reference count); an empty
/// (default-constructed or moved-from) handle refers to nothing.
template <class T>
class promise {
  static_assert(!std::is_reference_v<T>, "promise<T&> is not supported; use a pointer or std::reference_wrapper");

 public:
  using value_type = T;
  using promise_type = detail::coro_promise<T>;

  promise() noexcept = default;
  promise(const promise& o) noexcept : s_(o.s_) {
    if (s_ != nullptr) {
      detail::add_ref(*s_);
    }
  }
  promise(promise&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  promise& operator=(promise o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~promise() { detail::release(s_); }

  bool valid() const noexcept { return s_ != nullptr; }
  /// The PROMISE resource's async id (0 for an empty handle).
  async_id id() const noexcept { return s_ != nullptr ? s_->id() : 0; }
  bool is_pending() const noexcept {
    return s_ != nullptr && s_->status == detail::promise_status::pending;
  }
  bool is_fulfilled() const noexcept {
    return s_ != nullptr && s_->status == detail::promise_status::fulfilled;
  }
  bool is_rejected() const noexcept {
    return s_ != nullptr && s_->status == detail::promise_status::rejected;
  }

  /// p.then(f): a new promise settled with f(value) (f() for promise<void>),
  /// or with the same rejection. If f returns a promise<U>, the result
  /// follows it. f runs as a microtask, inside the new promise's resource,
  /// in the context current now.
  template <class F>
  auto then(F&& f) const {
    using R = typename detail::fulfil_result<std::decay_t<F>, T>::type;
    using U = detail::unwrap_promise_t<R>;
    return detail::make_then<T, U>(require(), std::forward<F>(f), detail::no_handler{});
  }

  /// p.then(f, on_rejected): on_rejected(std::exception_ptr) handles the
  /// rejection instead of passing it on. Both must yield the same type.
  template <class F, class G>
  auto then(F&& f, G&& on_rejected) const {
    using R = typename detail::fulfil_result<std::decay_t<F>, T>::type;
    using U = detail::unwrap_promise_t<R>;
    using RG = std::invoke_result_t<std::decay_t<G>&, std::exception_ptr&>;
    static_assert(std::is_same_v<detail::unwrap_promise_t<RG>, U>,
                  "then(f, on_rejected): both callbacks must return the same type (or promise of it)");
    return detail::make_then<T, U>(require(), std::forward<F>(f), std::forward<G>(on_rejected));
  }

  /// p.catch_(f): f(std::exception_ptr) handles a rejection; its result
  /// (a T, or a promise<T>; nothing for promise<void>) fulfils the new
  /// promise. A fulfilment passes through.
  template <class F>
  promise<T> catch_(F&& f) const {
    using RG = std::invoke_result_t<std::decay_t<F>&, std::exception_ptr&>;
    static_assert(std::is_same_v<detail::unwrap_promise_t<RG>, T> ||
                      (!std::is_void_v<T> && std::is_convertible_v<RG, T>),
                  "catch_(f): f must return the promise's value type T (or promise<T>)");
    return detail::make_then<T, T>(require(), detail::no_handler{}, std::forward<F>(f));
  }

  /// p.finally(f): f() runs when p settles either way; the new promise then
  /// settles as p did (after the promise f returned, if it returned one),
  /// unless f throws or its promise rejects.
  template <class F>
  promise<T> finally(F&& f) const {
    return detail::make_then<T, T>(require(), detail::finally_handler<T, std::decay_t<F>>{
                                                  std::forward<F>(f)},
                                   detail::finally_rejection{});
  }

  /// Promise.resolve(v): an already fulfilled promise (init, then
  /// promise_resolve).
  template <class V = T>
    requires(!std::is_void_v<T> && std::is_convertible_v<V &&, T>)
  static promise resolve(V&& v) {
    auto* s = detail::plain_state<T>::create();
    s->refs = 1;
    detail::init_promise_resource(*s);
    s->value.emplace(std::forward<V>(v));
    detail::settle(*s, detail::promise_status::fulfilled);
    return promise(s, detail::adopt_ref);
  }
  static promise resolve()
    requires std::is_void_v<T>
  {
    auto* s = detail::plain_state<T>::create();
    s->refs = 1;
    detail::init_promise_resource(*s);
    detail::settle(*s, detail::promise_status::fulfilled);
    return promise(s, detail::adopt_ref);
  }

  /// Promise.reject(e): an already rejected promise.
  static promise reject(std::exception_ptr e) {
    auto* s = detail::plain_state<T>::create();
    s->refs = 1;
    detail::init_promise_resource(*s);
    s->error = detail::non_null(std::move(e));
    detail::settle(*s, detail::promise_status::rejected);
    return promise(s, detail::adopt_ref);
  }

  detail::promise_awaiter<T> operator co_await() const& noexcept {
    if (s_ != nullptr) {
      detail::add_ref(*s_);
    }
    return detail::promise_awaiter<T>(s_);
  }
  detail::promise_awaiter<T> operator co_await() && noexcept {
    return detail::promise_awaiter<T>(std::exchange(s_, nullptr));
  }

  /// Not API: takes over one reference to `s`.
  promise(detail::value_state<T>* s, detail::adopt_ref_t) noexcept : s_(s) {}
  /// Not API.
  detail::value_state<T>* state() const noexcept { return s_; }
  detail::value_state<T>* release_state() noexcept { return std::exchange(s_, nullptr); }

 private:
  detail::value_state<T>* require() const {
    if (s_ == nullptr) {
      throw usage_error("tether: then()/catch_()/finally() called on an empty promise handle "
                        "(default-constructed or moved-from)");
    }
    return s_;
  }

  detail::value_state<T>* s_ = nullptr;
};

/// The settling side of make_promise() (the resolve/reject functions of JS's
/// `new Promise((resolve, reject) => ...)`). Copies share the promise. The
/// first resolve/reject/adopt through any copy wins; later ones do nothing.
/// Settling fires `promise_resolve` in the caller's context. If every copy
/// is dropped unsettled, the promise stays pending forever (see the notes
/// at the top about reclamation). Loop-thread only.
template <class T>
class resolver {
  using value_param = std::conditional_t<std::is_void_v<T>, detail::nothing, T>;

 public:
  resolver() noexcept = default;
  resolver(const resolver& o) noexcept : s_(o.s_) {
    if (s_ != nullptr) {
      ++s_->settlers;
      detail::add_ref(*s_);
    }
  }
  resolver(resolver&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  resolver& operator=(resolver o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~resolver() {
    if (s_ != nullptr) {
      detail::release_settler(*s_);
      detail::release(s_);
    }
  }

  /// Fulfils the promise with `value` (no-op if already settled).
  void resolve(value_param value)
    requires(!std::is_void_v<T>)
  {
    if (!check()) {
      return;
    }
    s_->value.emplace(std::move(value));
    detail::settle(*s_, detail::promise_status::fulfilled);
  }
  /// Fulfils a promise<void> (no-op if already settled).
  void resolve()
    requires std::is_void_v<T>
  {
    if (check()) {
      detail::settle(*s_, detail::promise_status::fulfilled);
    }
  }
  /// Rejects the promise (no-op if already settled). A null exception_ptr
  /// is replaced by a usage_error saying so.
  void reject(std::exception_ptr e) {
    if (check()) {
      s_->error = detail::non_null(std::move(e));
      detail::settle(*s_, detail::promise_status::rejected);
    }
  }
  /// JS resolve(thenable): the promise follows `p` (settles as p does, two
  /// microtask hops after). Counts as settling for settled().
  void adopt(promise<T> p) {
    if (!p.valid()) {
      throw usage_error("tether: resolver::adopt() given an empty promise handle");
    }
    if (check()) {
      s_->adopt(p.release_state());
    }
  }
  /// True once resolve, reject or adopt was called through any copy.
  bool settled() const noexcept { return s_ != nullptr && s_->locked; }

  /// Not API.
  explicit resolver(detail::resolver_state<T>* s) noexcept : s_(s) {}

 private:
  bool check() const {
    if (s_ == nullptr) {
      throw usage_error("tether: resolve()/reject() called on an empty resolver (moved-from)");
    }
    return !s_->locked;
  }

  detail::resolver_state<T>* s_ = nullptr;
};

/// JS `new Promise((resolve, reject) => ...)`: a pending promise (its PROMISE
/// init happens now, trigger = the current execution id) and the resolver
/// that settles it.
template <class T = void>
std::pair<promise<T>, resolver<T>> make_promise() {
  auto* s = detail::resolver_state<T>::create();
  return {promise<T>(s, detail::adopt_ref), resolver<T>(s)};
}

/// timers/promises setTimeout: a promise fulfilled after `ms` (a "Timeout"
/// resource, created after the PROMISE, resolves it).
promise<void> delay(std::chrono::milliseconds ms);

// --- combinators --------------------------------------------------------------

/// Promise.all: fulfils with every value, in input order, once all have
/// fulfilled; rejects with the first rejection.
template <class T>
promise<typename detail::combinator_result<detail::combinator_kind::all, T>::type> all(
    std::vector<promise<T>> inputs) {
  return detail::make_combinator<detail::combinator_kind::all, T>(std::move(inputs));
}

/// Promise.allSettled: fulfils, once every input has settled, with each
/// outcome in input order.
template <class T>
promise<std::vector<settled<T>>> all_settled(std::vector<promise<T>> inputs) {
  return detail::make_combinator<detail::combinator_kind::all_settled, T>(std::move(inputs));
}

/// Promise.race: settles as the first input to settle. An empty input
/// stays pending forever.
template <class T>
promise<T> race(std::vector<promise<T>> inputs) {
  return detail::make_combinator<detail::combinator_kind::race, T>(std::move(inputs));
}

/// Promise.any: fulfils with the first fulfilment; rejects with an
/// aggregate_error (listing every reason, in input order) when all reject.
template <class T>
promise<T> any(std::vector<promise<T>> inputs) {
  return detail::make_combinator<detail::combinator_kind::any, T>(std::move(inputs));
}

}  // namespace tether

#include <tether/detail/promise_then.hpp>
#include <tether/detail/promise_coroutine.hpp>
#include <tether/detail/promise_combinators.hpp>
