#pragma once
// Node's AsyncLocalStorage, built like Node 24's AsyncContextFrame: stores
// live in immutable, reference-counted context frames that every resource
// captures at init and installs around its callbacks. It needs no hook, and
// its cost does not grow with the number of stores.

#include <functional>
#include <string_view>
#include <utility>

#include <tether/async_hooks.hpp>
#include <tether/detail/bound_function.hpp>
#include <tether/detail/context_frame.hpp>

namespace tether {

/// A value of type T carried along the async call graph: set with run() or
/// enter_with(), read anywhere after with get_store(), including inside
/// callbacks of resources created while it was set, on any thread.
///
/// Stores are moved in once and then shared by every frame that holds them;
/// they are never copied per hop. Instances are independent of each other.
/// Not copyable or movable (frames refer to the instance). get_store() is
/// lock- and allocation-free; run()/enter_with() allocate one frame and one
/// box for the store.
template <class T>
class async_local_storage {
 public:
  async_local_storage() { detail::register_storage(key_); }
  ~async_local_storage() { detail::unregister_storage(key_); }
  async_local_storage(const async_local_storage&) = delete;
  async_local_storage& operator=(const async_local_storage&) = delete;

  /// Calls `f(args...)` with `store` as this instance's store and returns its
  /// result. Resources created inside keep seeing `store` later. The previous
  /// store comes back when `f` returns or throws. An enter_with() of another
  /// instance made inside `f` persists after it (as in Node).
  template <class F, class... A>
  decltype(auto) run(T store, F&& f, A&&... args) {
    detail::run_scope scope(key_, detail::make_store_box<T>(std::move(store)));
    return std::invoke(std::forward<F>(f), std::forward<A>(args)...);
  }

  /// Calls `f(args...)` with no store for this instance (other instances
  /// unaffected) and restores it afterwards.
  template <class F, class... A>
  decltype(auto) exit(F&& f, A&&... args) {
    detail::run_scope scope(key_, nullptr);
    return std::invoke(std::forward<F>(f), std::forward<A>(args)...);
  }

  /// Makes `store` current for the rest of the current callback scope (at a
  /// thread's top level: until changed) and for every resource created after.
  void enter_with(T store) { detail::enter_with(key_, detail::make_store_box<T>(std::move(store))); }

  /// The current store, or nullptr outside any run()/enter_with() (or after
  /// disable()). The pointee lives as long as some context frame holds it:
  /// inside run(), until run() returns; otherwise until the current callback
  /// returns or the next enter_with() of this instance in the same scope.
  T* get_store() const noexcept {
    detail::store_box_base* box = detail::find_store(key_);
    return box != nullptr ? &static_cast<detail::store_box<T>*>(box)->value : nullptr;
  }

  /// get_store() returns nullptr everywhere (all threads, all captured
  /// frames) until the next run() or enter_with().
  void disable() noexcept { detail::disable_storage(key_); }

  /// A callable running `f` in the context current now (a new resource of
  /// type "bound-anonymous-fn", as Node's AsyncLocalStorage.bind).
  template <class F>
  static auto bind(F&& f) {
    return async_resource::bind(std::forward<F>(f), bound_type);
  }

  /// A callable `snap` such that `snap(g, args...)` runs `g(args...)` in the
  /// context current now.
  static auto snapshot() { return async_resource::bind(detail::invoke_with_args{}, bound_type); }

 private:
  static constexpr std::string_view bound_type = "bound-anonymous-fn";
  detail::storage_key key_;
};

}  // namespace tether
