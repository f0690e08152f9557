#pragma once
// Node's async_hooks for C++: ids, the execution context, hooks and
// async_resource. See docs/semantics.md for the rules and where they differ
// from Node on purpose.

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

#include <tether/detail/bound_function.hpp>
#include <tether/error.hpp>
#include <tether/integration.hpp>
#include <tether/resource.hpp>

namespace tether {

/// The callbacks of one hook; any member may be empty. Each runs
/// synchronously on the thread where the event happens, with the execution
/// context of that moment (for `init`: the creating context; for
/// `before`/`after`: the resource's own). An exception escaping a callback is
/// fatal: one line on stderr naming the callback and the resource type, then
/// abort. Resources created inside a callback are invisible to every hook.
struct hook_callbacks {
  std::function<void(async_id id, std::string_view type, async_id trigger_id, resource&)> init{};
  std::function<void(async_id id)> before{};
  std::function<void(async_id id)> after{};
  std::function<void(async_id id)> destroy{};
  std::function<void(async_id id)> promise_resolve{};
};

namespace detail {
struct hook_entry;
}

/// A registered set of hook_callbacks. Inert until enable(). Hooks are
/// process-wide: an enabled hook sees every thread's events. Several enabled
/// hooks are called in the order they were enabled; disable() then enable()
/// moves a hook to the end. enable()/disable() are thread-safe, may be called
/// from inside any callback (hook or resource), and take effect from the next
/// event. Move-only; a moved-from hook is disabled and may only be destroyed
/// or assigned. Destroying a hook disables it.
class async_hook {
 public:
  async_hook() noexcept = default;
  async_hook(async_hook&& other) noexcept : entry_(std::exchange(other.entry_, nullptr)) {}
  async_hook& operator=(async_hook&& other) noexcept;
  async_hook(const async_hook&) = delete;
  async_hook& operator=(const async_hook&) = delete;
  ~async_hook();

  /// Idempotent. Throws usage_error on a moved-from hook.
  async_hook& enable() &;
  /// On a temporary (Node's `createHook({...}).enable()`): enables the hook
  /// and hands it back, so `auto hook = tether::create_hook({...}).enable();`
  /// keeps it. Discarding the result would destroy (and so disable) the hook
  /// at the end of the statement: compilers warn, and -Werror rejects it.
  [[nodiscard("a discarded hook is destroyed, and so disabled, at the ';': "
              "keep it (auto hook = tether::create_hook({...}).enable();)")]]
  async_hook enable() &&;
  /// Idempotent.
  async_hook& disable();
  bool enabled() const noexcept;

 private:
  friend async_hook create_hook(hook_callbacks callbacks);
  explicit async_hook(detail::hook_entry* entry) noexcept : entry_(entry) {}
  detail::hook_entry* entry_ = nullptr;
};

/// Registers `callbacks` as a new, disabled hook. Keep the result: the hook
/// lives (and can be enabled) only as long as the returned handle.
[[nodiscard("the hook lives only as long as the returned handle: "
            "auto hook = tether::create_hook({...}).enable();")]]
async_hook create_hook(hook_callbacks callbacks);

struct async_resource_options {
  async_id trigger_async_id = 0;  // 0: execution_async_id() at construction
  bool require_manual_destroy = false;
};

/// A resource that user code owns and runs callbacks in: Node's AsyncResource.
///
/// The constructor fires `init` (trigger: `options.trigger_async_id`, or the
/// current execution id) and captures the current context frame, so
/// async_local_storage stores current now are seen by every
/// run_in_async_scope later, on any thread. `destroy` fires once, from
/// emit_destroy() or the destructor (only from emit_destroy() with
/// `require_manual_destroy`). Not copyable or movable. Thread-compatible:
/// run_in_async_scope may run on any thread, and on several at once.
class async_resource : public resource {
 public:
  /// `type` is copied (no allocation up to 31 characters). Throws
  /// usage_error if it is empty.
  explicit async_resource(std::string_view type, async_resource_options options = {});
  ~async_resource();

  /// Calls `f(args...)` with this resource current (execution id, trigger,
  /// context frame; `before`/`after` around it) and returns its result. The
  /// previous context is restored also when `f` throws; the exception
  /// propagates. Scopes nest. Throws usage_error after emit_destroy().
  template <class F, class... A>
  decltype(auto) run_in_async_scope(F&& f, A&&... args) {
    if (destroyed()) [[unlikely]] {
      throw_run_after_destroy();
    }
    callback_scope scope(*this);
    return std::invoke(std::forward<F>(f), std::forward<A>(args)...);
  }

  /// Fires `destroy` now. A second call throws usage_error.
  void emit_destroy();

  /// A callable that runs `f` inside this resource (which must outlive it).
  template <class F>
  auto bind(F&& f) {
    return detail::bound_function<async_resource*, std::decay_t<F>>(this, std::forward<F>(f));
  }

  /// A callable that runs `f` inside a new resource of type `type`, created
  /// now (so it captures the current context). Copies share that resource;
  /// the last one destroyed emits its `destroy`. Copyable when F is, so it
  /// converts to std::function.
  template <class F>
  static auto bind(F&& f, std::string_view type) {
    return detail::bound_function<std::shared_ptr<async_resource>, std::decay_t<F>>(
        std::make_shared<async_resource>(type), std::forward<F>(f));
  }

 private:
  [[noreturn]] void throw_run_after_destroy() const;

  static constexpr std::size_t inline_type_capacity = 31;
  char inline_type_[inline_type_capacity + 1] = {};
  std::unique_ptr<char[]> heap_type_;
  bool require_manual_destroy_ = false;
};

}  // namespace tether
