#pragma once
// Not API. May change without notice.
//
// all / all_settled / race / any: one state per call, with an element
// reaction per input registered directly on it (no derived promise per
// element, unlike Node). Part of <tether/promise.hpp>, which includes this
// after its public classes; it includes <tether/promise.hpp> itself only so
// that it compiles alone.

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include <tether/detail/promise_fwd.hpp>
#include <tether/detail/promise_state.hpp>
#include <tether/error.hpp>
#include <tether/promise.hpp>

namespace tether::detail {

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

}  // namespace tether::detail
