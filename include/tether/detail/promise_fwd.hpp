#pragma once
// Not API. May change without notice.
//
// What the public classes of <tether/promise.hpp> name before the machinery
// behind them is defined: forward declarations and small traits. The
// definitions are in detail/promise_then.hpp (then/catch_/finally, adoption,
// resolvers), detail/promise_coroutine.hpp (coroutines, co_await) and
// detail/promise_combinators.hpp (all/all_settled/race/any), which
// <tether/promise.hpp> includes after its public classes.

#include <type_traits>
#include <vector>

#include <tether/detail/promise_state.hpp>

namespace tether {

// The default argument (promise<>, resolver<>) is given here, once.
template <class T = void>
class promise;
template <class T = void>
class resolver;

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

template <class T>
struct coro_promise;
template <class T>
class promise_awaiter;
template <class T>
struct resolver_state;

template <class T, class U, class OnFul, class OnRej>
promise<U> make_then(value_state<T>* parent, OnFul&& f, OnRej&& g);

template <class T, class F>
struct finally_handler;

enum class combinator_kind { all, all_settled, race, any };

template <combinator_kind K, class T>
struct combinator_result;

template <combinator_kind K, class T>
promise<typename combinator_result<K, T>::type> make_combinator(std::vector<promise<T>> inputs);

}  // namespace detail
}  // namespace tether
