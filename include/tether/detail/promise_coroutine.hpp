#pragma once
// Not API. May change without notice.
//
// Coroutines returning promise<T> (their promise_type, eager start, final
// settle) and what `co_await promise` returns. Part of <tether/promise.hpp>,
// which includes this after its public classes; it includes
// <tether/promise.hpp> itself only so that it compiles alone.

#include <coroutine>
#include <cstddef>
#include <exception>
#include <type_traits>
#include <utility>

#include <tether/detail/diagnostics.hpp>
#include <tether/detail/promise_fwd.hpp>
#include <tether/detail/promise_state.hpp>
#include <tether/promise.hpp>

namespace tether::detail {

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

  static void* operator new(std::size_t n) { return cached_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { cached_free(p, n); }
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

template <class T>
promise<T> coro_promise_common<T>::get_return_object() noexcept {
  ++this->refs;
  return promise<T>(this, adopt_ref);
}

}  // namespace tether::detail
