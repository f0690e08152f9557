#pragma once
// Not API. May change without notice.
//
// The callable behind async_resource::bind and async_local_storage::bind /
// snapshot: runs the wrapped function inside one resource's scope.

#include <functional>
#include <utility>

namespace tether::detail {

/// `Owner` is `async_resource*` (bind on an instance: the caller keeps the
/// resource alive) or `std::shared_ptr<async_resource>` (static bind: copies
/// share one resource, destroyed with the last copy).
template <class Owner, class F>
class bound_function {
 public:
  bound_function(Owner owner, F f) : owner_(std::move(owner)), f_(std::move(f)) {}

  template <class... A>
  decltype(auto) operator()(A&&... args) {
    return owner_->run_in_async_scope(f_, std::forward<A>(args)...);
  }
  template <class... A>
  decltype(auto) operator()(A&&... args) const {
    return owner_->run_in_async_scope(f_, std::forward<A>(args)...);
  }

 private:
  Owner owner_;
  F f_;
};

/// What snapshot() binds: calls its first argument with the rest.
struct invoke_with_args {
  template <class G, class... A>
  decltype(auto) operator()(G&& g, A&&... args) const {
    return std::invoke(std::forward<G>(g), std::forward<A>(args)...);
  }
};

}  // namespace tether::detail
