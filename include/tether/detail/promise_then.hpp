#pragma once
// Not API. May change without notice.
//
// then()/catch_()/finally() and adoption (following another promise, JS's
// thenable jobs): the states behind promise<T>::then, resolver<T> and
// make_promise(). Part of <tether/promise.hpp>, which includes this after
// its public classes; it includes <tether/promise.hpp> itself only so that
// it compiles alone.

#include <exception>
#include <functional>
#include <type_traits>
#include <utility>

#include <tether/detail/promise_fwd.hpp>
#include <tether/detail/promise_state.hpp>
#include <tether/error.hpp>
#include <tether/promise.hpp>

namespace tether::detail {

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

}  // namespace tether::detail
