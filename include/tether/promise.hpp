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
#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/detail/promise_state.hpp>
#include <tether/error.hpp>

namespace tether {

template <class T = void>
class promise;
template <class T = void>
class resolver;

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

namespace detail {

struct adopt_ref_t {
  explicit adopt_ref_t() = default;
};
inline constexpr adopt_ref_t adopt_ref{};

template <class R>
struct promise_traits {
  static constexpr bool is_promise = false;
  using value_type = R;
};
template <class U>
struct promise_traits<promise<U>> {
  static constexpr bool is_promise = true;
  using value_type = U;
};
template <class R>
using unwrap_promise_t = typename promise_traits<std::remove_cvref_t<R>>::value_type;

struct no_handler {};
struct finally_rejection {};  // OnRej tag: finally's handler handles both

/// The result of calling a then() handler with the parent's value.
template <class F, class T>
struct fulfil_result {
  using type = std::invoke_result_t<F&, T&&>;
};
template <class F>
struct fulfil_result<F, void> {
  using type = std::invoke_result_t<F&>;
};

struct nothing {};

// --- adoption: following another promise (a thenable) --------------------

void reject_cycle(promise_base& s) noexcept;

template <class U, class Derived>
struct adopting_state : heap_state_base<U, Derived>, reaction {
  promise_base* source = nullptr;  // owned: the parent (then) or the followed promise

  /// Starts following `q` (an owned reference): one hop (Node's
  /// NewPromiseResolveThenableJob) to attach, one more when q settles.
  void adopt(value_state<U>* q) noexcept {
    this->locked = true;
    if (q == this) {
      release(q);
      reject_cycle(*this);
      return;
    }
    ++this->settlers;
    add_ref(*this);
    source = q;
    this->ops = &adopt_hop_ops;
    schedule_job(*this, *this);
  }

  static Derived& self(reaction& r) noexcept { return static_cast<Derived&>(r); }
  void end_adopt() noexcept {
    release(std::exchange(source, nullptr));
    release_settler(*this);
    release(this);
  }
  static void adopt_failed(reaction& r) noexcept { self(r).end_adopt(); }
  static void hop_settled(reaction&, promise_base&) noexcept {}
  static void hop_run(reaction& r) noexcept {
    Derived& s = self(r);
    s.ops = &adopt_wait_ops;
    attach(*s.source, s);
  }
  static void wait_settled(reaction& r, promise_base&) noexcept { schedule_job(self(r), r); }
  static void wait_run(reaction& r) noexcept {
    Derived& s = self(r);
    settle_from<U>(s, *static_cast<value_state<U>*>(s.source));
    s.end_adopt();
  }
  static constexpr reaction_ops adopt_hop_ops{&hop_settled, &adopt_failed, &hop_run,
                                              &adopt_failed};
  static constexpr reaction_ops adopt_wait_ops{&wait_settled, &adopt_failed, &wait_run,
                                               &adopt_failed};
};

/// The state of make_promise(): settled through resolver<T>.
template <class T>
struct resolver_state final : adopting_state<T, resolver_state<T>> {
  resolver_state() noexcept {
    this->refs = 2;      // the promise handle and the resolver
    this->settlers = 1;  // the resolver
    init_promise_capturing(*this);
  }
};

// --- then / catch_ / finally ------------------------------------------------

template <class T, class U, class OnFul, class OnRej>
struct then_state final : adopting_state<U, then_state<T, U, OnFul, OnRej>> {
  template <class F, class G>
  then_state(value_state<T>* parent, F&& f, G&& g)
      : on_ful(std::forward<F>(f)), on_rej(std::forward<G>(g)) {
    add_ref(*parent);
    this->source = parent;
    this->refs = 2;      // the returned handle, and the reaction until it ran
    this->settlers = 1;  // the reaction
    this->ops = &parent_ops;
    init_promise_capturing(*this, parent->id());
  }

  [[no_unique_address]] OnFul on_ful;
  [[no_unique_address]] OnRej on_rej;

  template <class F, class... A>
  value_state<U>* complete(F& f, A&&... args) {
    using R = std::invoke_result_t<F&, A...>;
    if constexpr (promise_traits<std::remove_cvref_t<R>>::is_promise) {
      std::remove_cvref_t<R> q = std::invoke(f, std::forward<A>(args)...);
      if (!q.valid()) {
        throw usage_error("tether: a then()/catch_() callback returned an empty promise");
      }
      return q.release_state();
    } else if constexpr (std::is_void_v<R>) {
      std::invoke(f, std::forward<A>(args)...);
      settle(*this, promise_status::fulfilled);
      return nullptr;
    } else {
      this->value.emplace(std::invoke(f, std::forward<A>(args)...));
      settle(*this, promise_status::fulfilled);
      return nullptr;
    }
  }

  value_state<U>* handle(value_state<T>& p) {
    if (p.status == promise_status::fulfilled) {
      if constexpr (std::is_same_v<OnFul, no_handler>) {
        settle_from<U>(*this, p);
        return nullptr;
      } else if constexpr (std::is_void_v<T>) {
        return complete(on_ful);
      } else {
        return complete(on_ful, take_value(p));
      }
    } else {
      if constexpr (std::is_same_v<OnRej, no_handler>) {
        this->error = p.error;
        settle(*this, promise_status::rejected);
        return nullptr;
      } else if constexpr (std::is_same_v<OnRej, finally_rejection>) {
        return complete(on_ful, finally_rejection{}, p.error);
      } else {
        return complete(on_rej, p.error);
      }
    }
  }

  static void parent_settled(reaction& r, promise_base&) noexcept {
    then_state& s = static_cast<then_state&>(r);
    schedule_job(s, s);
  }
  static void parent_failed(reaction& r) noexcept {
    then_state& s = static_cast<then_state&>(r);
    release(std::exchange(s.source, nullptr));
    release_settler(s);
    release(&s);
  }
  static void parent_run(reaction& r) noexcept {
    then_state& s = static_cast<then_state&>(r);
    auto* p = static_cast<value_state<T>*>(std::exchange(s.source, nullptr));
    value_state<U>* follow = nullptr;
    try {
      follow = s.handle(*p);
    } catch (...) {
      s.error = std::current_exception();
      settle(s, promise_status::rejected);
    }
    release(p);
    if (follow != nullptr) {
      s.adopt(follow);
    }
    release_settler(s);
    release(&s);
  }
  static constexpr reaction_ops parent_ops{&parent_settled, &parent_failed, &parent_run,
                                           &parent_failed};
};

template <class T, class U, class OnFul, class OnRej>
promise<U> make_then(value_state<T>* parent, OnFul&& f, OnRej&& g);

template <class T, class F>
struct finally_handler;

// --- coroutines -------------------------------------------------------------

template <class T>
struct coro_promise;

/// At final_suspend: settles the coroutine's promise and drops the body's
/// reference; true when that was the last one (the frame then goes at once).
inline bool finish_coroutine(promise_base& p) noexcept {
  settle(p, p.failed ? promise_status::rejected : promise_status::fulfilled);
  if (--p.refs == 0) {
    resource_access::mark_destroyed(p);
    emit_hook(hook_event::destroy, p);
    return true;
  }
  return false;
}

template <class T>
struct coro_promise_common : value_state<T> {
  coro_promise_common() noexcept {
    this->destroy_fn = [](promise_base* p) noexcept {
      std::coroutine_handle<coro_promise<T>>::from_promise(*static_cast<coro_promise<T>*>(p))
          .destroy();
    };
    this->refs = 1;      // the body, until it finishes
    this->settlers = 1;  // the body
    init_promise_resource(*this);
  }

  promise<T> get_return_object() noexcept;
  std::suspend_never initial_suspend() const noexcept { return {}; }

  struct final_awaiter {
    promise_base* self;
    bool await_ready() const noexcept { return finish_coroutine(*self); }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    void await_resume() const noexcept {}
  };
  final_awaiter final_suspend() noexcept { return {this}; }

  void unhandled_exception() noexcept {
    this->error = std::current_exception();
    this->failed = true;
    // Still inside the coroutine, with the coroutines awaiting it suspended
    // on it: the moment its async trace is complete.
    note_exception(this->error);
  }

  static void* operator new(std::size_t n) { return promise_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { promise_free(p, n); }
};

template <class T>
struct coro_promise final : coro_promise_common<T> {
  template <class V = T>
    requires std::is_convertible_v<V&&, T>
  void return_value(V&& v) {
    this->value.emplace(std::forward<V>(v));
  }
};

template <>
struct coro_promise<void> final : coro_promise_common<void> {
  void return_void() noexcept {}
};

/// What `co_await promise` returns.
template <class T>
class promise_awaiter : private await_node {
 public:
  explicit promise_awaiter(value_state<T>* s) noexcept : s_(s) {}
  promise_awaiter(const promise_awaiter&) = delete;
  promise_awaiter& operator=(const promise_awaiter&) = delete;
  ~promise_awaiter() {
    if (this->ops != nullptr &&
        (this->foreign != nullptr || s_->status == promise_status::pending)) {
      await_node_cleanup(*this, *s_);
    }
    release(s_);
  }

  bool await_ready() const noexcept { return false; }

  // Always inlined, so that await_on's return address lies in the awaiting
  // coroutine's code at this co_await (the await chain's file:line).
  template <class P>
  [[gnu::always_inline]] inline void await_suspend(std::coroutine_handle<P> h) {
    this->handle = h;
    if constexpr (std::is_base_of_v<promise_base, P>) {
      this->owner = &h.promise();
    }
    await_on(s_, *this);
  }

  T await_resume() {
    if (this->foreign != nullptr) {
      await_node_cleanup(*this, *s_);
    }
    if (s_->status == promise_status::rejected) {
      std::rethrow_exception(s_->error);
    }
    if constexpr (!std::is_void_v<T>) {
      return take_value(*s_);
    }
  }

 private:
  value_state<T>* s_;
};

}  // namespace detail

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

namespace detail {

enum class combinator_kind { all, all_settled, race, any };

template <combinator_kind K, class T>
struct combinator_result;
template <class T>
struct combinator_result<combinator_kind::all, T> {
  using type = std::vector<T>;
};
template <>
struct combinator_result<combinator_kind::all, void> {
  using type = void;
};
template <class T>
struct combinator_result<combinator_kind::all_settled, T> {
  using type = std::vector<settled<T>>;
};
template <class T>
struct combinator_result<combinator_kind::race, T> {
  using type = T;
};
template <class T>
struct combinator_result<combinator_kind::any, T> {
  using type = T;
};

template <class T>
struct all_values {
  using type = std::vector<std::optional<T>>;
};
template <>
struct all_values<void> {
  using type = nothing;
};

template <combinator_kind K, class T>
struct combinator_state final
    : heap_state_base<typename combinator_result<K, T>::type, combinator_state<K, T>> {
  using R = typename combinator_result<K, T>::type;

  struct element : reaction {
    combinator_state* owner = nullptr;
    value_state<T>* src = nullptr;  // owned
    std::size_t index = 0;
  };

  explicit combinator_state(std::size_t n) : elements(n), remaining(n) {
    this->refs = 1;
    init_promise_capturing(*this);
    if constexpr (K == combinator_kind::all && !std::is_void_v<T>) {
      values.resize(n);
    } else if constexpr (K == combinator_kind::all_settled) {
      outcomes.resize(n);
    } else if constexpr (K == combinator_kind::any) {
      errors.resize(n);
    }
  }

  std::vector<element> elements;
  std::size_t remaining;
  [[no_unique_address]] std::conditional_t<K == combinator_kind::all,
                                           typename all_values<T>::type, nothing>
      values;
  [[no_unique_address]] std::conditional_t<K == combinator_kind::all_settled, R, nothing> outcomes;
  [[no_unique_address]] std::conditional_t<K == combinator_kind::any,
                                           std::vector<std::exception_ptr>, nothing>
      errors;

  void finish_empty() {
    if constexpr (K == combinator_kind::all || K == combinator_kind::all_settled) {
      if constexpr (!std::is_void_v<R>) {
        this->value.emplace();
      }
      settle(*this, promise_status::fulfilled);
    } else if constexpr (K == combinator_kind::any) {
      this->error = std::make_exception_ptr(aggregate_error({}));
      settle(*this, promise_status::rejected);
    }
    // race([]) stays pending forever, as in JS.
  }

  void on_element(element& e) {
    value_state<T>& s = *e.src;
    const bool ok = s.status == promise_status::fulfilled;
    if constexpr (K == combinator_kind::all) {
      if (this->status != promise_status::pending) {
        return;
      }
      if (!ok) {
        this->error = s.error;
        settle(*this, promise_status::rejected);
        return;
      }
      if constexpr (!std::is_void_v<T>) {
        values[e.index].emplace(take_value(s));
      }
      if (--remaining == 0) {
        if constexpr (!std::is_void_v<T>) {
          std::vector<T> out;
          out.reserve(values.size());
          for (auto& v : values) {
            out.push_back(std::move(*v));
          }
          this->value.emplace(std::move(out));
        }
        settle(*this, promise_status::fulfilled);
      }
    } else if constexpr (K == combinator_kind::all_settled) {
      settled<T>& o = outcomes[e.index];
      o.fulfilled = ok;
      if (ok) {
        if constexpr (!std::is_void_v<T>) {
          o.value.emplace(take_value(s));
        }
      } else {
        o.reason = s.error;
      }
      if (--remaining == 0) {
        this->value.emplace(std::move(outcomes));
        settle(*this, promise_status::fulfilled);
      }
    } else if constexpr (K == combinator_kind::race) {
      if (this->status == promise_status::pending) {
        settle_from<T>(*this, s);
      }
    } else {  // any
      if (this->status != promise_status::pending) {
        return;
      }
      if (ok) {
        settle_from<T>(*this, s);
        return;
      }
      errors[e.index] = s.error;
      if (--remaining == 0) {
        this->error = std::make_exception_ptr(aggregate_error(std::move(errors)));
        settle(*this, promise_status::rejected);
      }
    }
  }

  static void element_settled(reaction& r, promise_base&) noexcept {
    element& e = static_cast<element&>(r);
    schedule_job(*e.owner, e);
  }
  static void element_done(reaction& r) noexcept {
    element& e = static_cast<element&>(r);
    combinator_state* self = e.owner;
    release(std::exchange(e.src, nullptr));
    release_settler(*self);
    release(self);
  }
  static void element_run(reaction& r) noexcept {
    element& e = static_cast<element&>(r);
    try {
      e.owner->on_element(e);
    } catch (...) {
      if (e.owner->status == promise_status::pending) {
        e.owner->error = std::current_exception();
        settle(*e.owner, promise_status::rejected);
      }
    }
    element_done(r);
  }
  static constexpr reaction_ops element_ops{&element_settled, &element_done, &element_run,
                                            &element_done};
};

template <combinator_kind K, class T>
promise<typename combinator_result<K, T>::type> make_combinator(std::vector<promise<T>> inputs) {
  for (const promise<T>& p : inputs) {
    if (!p.valid()) {
      throw usage_error("tether: all/all_settled/race/any given an empty promise handle");
    }
  }
  require_loop();
  using S = combinator_state<K, T>;
  S* s = S::create(inputs.size());
  promise<typename combinator_result<K, T>::type> result(s, adopt_ref);
  if (inputs.empty()) {
    s->finish_empty();
    return result;
  }
  s->refs += static_cast<std::uint32_t>(inputs.size());
  s->settlers = static_cast<std::uint32_t>(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    auto& e = s->elements[i];
    e.ops = &S::element_ops;
    e.owner = s;
    e.index = i;
    e.src = inputs[i].release_state();
  }
  for (auto& e : s->elements) {
    attach(*e.src, e);
  }
  return result;
}

}  // namespace detail

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

// --- out-of-line template definitions ---------------------------------------

namespace detail {

template <class T>
promise<T> coro_promise_common<T>::get_return_object() noexcept {
  ++this->refs;
  return promise<T>(this, adopt_ref);
}

template <class T, class U, class OnFul, class OnRej>
promise<U> make_then(value_state<T>* parent, OnFul&& f, OnRej&& g) {
  require_loop();
  using S = then_state<T, U, std::decay_t<OnFul>, std::decay_t<OnRej>>;
  S* s = S::create(parent, std::forward<OnFul>(f), std::forward<OnRej>(g));
  attach(*parent, *s);
  return promise<U>(s, adopt_ref);
}

/// finally(f) as Node builds it: then(v => Promise.resolve(f()).then(() => v),
/// e => Promise.resolve(f()).then(() => { throw e })).
template <class T, class F>
struct finally_handler {
  F f;

  auto run_f() {
    using R = std::invoke_result_t<F&>;
    if constexpr (promise_traits<std::remove_cvref_t<R>>::is_promise) {
      return std::invoke(f);
    } else {
      std::invoke(f);
      return promise<void>::resolve();
    }
  }

  template <class V>
  promise<T> operator()(V&& v)
    requires(!std::is_void_v<T>)
  {
    return run_f().then([v = T(std::forward<V>(v))](auto&&...) mutable -> T { return std::move(v); });
  }
  promise<T> operator()()
    requires std::is_void_v<T>
  {
    return run_f().then([](auto&&...) {});
  }
  promise<T> operator()(finally_rejection, std::exception_ptr e) {
    return run_f().then([e](auto&&...) -> T { std::rethrow_exception(e); });
  }
};

}  // namespace detail
}  // namespace tether
