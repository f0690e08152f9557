#pragma once
// Not API. May change without notice.
//
// A move-only std::function with 48 bytes of inline storage: the runtime keeps
// one in every pooled timer, immediate, tick and microtask node, so scheduling
// a callback whose captures fit inline allocates nothing.

#include <cstddef>
#include <functional>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace tether::detail {

template <class Signature>
class unique_function;

template <class R, class... A>
class unique_function<R(A...)> {
 public:
  static constexpr std::size_t inline_size = 48;

  unique_function() noexcept = default;
  unique_function(std::nullptr_t) noexcept {}  // NOLINT: implicit like std::function

  template <class F>
    requires(!std::is_same_v<std::decay_t<F>, unique_function> &&
             std::is_invocable_r_v<R, std::decay_t<F>&, A...>)
  unique_function(F&& f) {  // NOLINT: implicit like std::function
    emplace(std::forward<F>(f));
  }

  unique_function(unique_function&& other) noexcept { take(other); }
  unique_function& operator=(unique_function&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  unique_function& operator=(std::nullptr_t) noexcept {
    reset();
    return *this;
  }
  unique_function(const unique_function&) = delete;
  unique_function& operator=(const unique_function&) = delete;
  ~unique_function() { reset(); }

  template <class F>
  void emplace(F&& f) {
    using T = std::decay_t<F>;
    reset();
    if constexpr (fits_inline<T>) {
      ::new (static_cast<void*>(storage_)) T(std::forward<F>(f));
      ops_ = &inline_ops<T>;
    } else {
      heap_ = std::make_unique<T>(std::forward<F>(f)).release();
      ops_ = &heap_ops<T>;
    }
  }

  void reset() noexcept {
    if (ops_ != nullptr) {
      ops_->destroy(*this);
      ops_ = nullptr;
    }
  }

  explicit operator bool() const noexcept { return ops_ != nullptr; }

  R operator()(A... args) { return ops_->call(*this, std::forward<A>(args)...); }

 private:
  struct ops {
    R (*call)(unique_function&, A&&...);
    void (*move)(unique_function& to, unique_function& from) noexcept;
    void (*destroy)(unique_function&) noexcept;
  };

  template <class T>
  static constexpr bool fits_inline = sizeof(T) <= inline_size &&
                                      alignof(T) <= alignof(std::max_align_t) &&
                                      std::is_nothrow_move_constructible_v<T>;

  template <class T>
  T& inline_object() noexcept {
    return *std::launder(reinterpret_cast<T*>(storage_));
  }

  template <class T>
  static constexpr ops inline_ops = {
      [](unique_function& self, A&&... args) -> R {
        return std::invoke(self.inline_object<T>(), std::forward<A>(args)...);
      },
      [](unique_function& to, unique_function& from) noexcept {
        ::new (static_cast<void*>(to.storage_)) T(std::move(from.inline_object<T>()));
        from.inline_object<T>().~T();
      },
      [](unique_function& self) noexcept { self.inline_object<T>().~T(); },
  };

  template <class T>
  static constexpr ops heap_ops = {
      [](unique_function& self, A&&... args) -> R {
        return std::invoke(*static_cast<T*>(self.heap_), std::forward<A>(args)...);
      },
      [](unique_function& to, unique_function& from) noexcept { to.heap_ = from.heap_; },
      [](unique_function& self) noexcept { std::unique_ptr<T>{static_cast<T*>(self.heap_)}.reset(); },
  };

  void take(unique_function& other) noexcept {
    if (other.ops_ != nullptr) {
      other.ops_->move(*this, other);
      ops_ = std::exchange(other.ops_, nullptr);
    }
  }

  union {
    alignas(std::max_align_t) unsigned char storage_[inline_size];
    void* heap_;
  };
  const ops* ops_ = nullptr;
};

}  // namespace tether::detail
