#pragma once
// Node's timers: setTimeout, setInterval, setImmediate and their clear
// functions, as tracked "Timeout" and "Immediate" resources.

#include <chrono>
#include <memory>
#include <type_traits>
#include <utility>

#include <tether/async_hooks.hpp>
#include <tether/detail/unique_function.hpp>
#include <tether/event_loop.hpp>

namespace tether {
namespace detail {
struct timer_node;
struct immediate_node;
void retain(timer_node* n) noexcept;
void release(timer_node* n) noexcept;
void retain(immediate_node* n) noexcept;
void release(immediate_node* n) noexcept;
}  // namespace detail

/// A handle to a scheduled Timeout (Node's Timeout object). Copies refer to
/// the same timer. Discarding every handle does not cancel it. Loop-thread
/// only.
class timeout {
 public:
  timeout() noexcept = default;
  explicit timeout(detail::timer_node* n) noexcept : node_(n) { detail::retain(node_); }
  timeout(const timeout& o) noexcept : node_(o.node_) { detail::retain(node_); }
  timeout(timeout&& o) noexcept : node_(std::exchange(o.node_, nullptr)) {}
  timeout& operator=(timeout o) noexcept {
    std::swap(node_, o.node_);
    return *this;
  }
  ~timeout() { detail::release(node_); }

  /// The Timeout resource's async id (0 for an empty handle).
  async_id id() const noexcept;
  /// Restarts the countdown from now with the same duration; does nothing
  /// once the timer has fired (a timeout) or been cleared.
  timeout& refresh();
  /// An unref'd timer does not keep the loop running.
  timeout& unref();
  timeout& ref();
  bool has_ref() const noexcept;

  detail::timer_node* node() const noexcept { return node_; }

 private:
  detail::timer_node* node_ = nullptr;
};

/// A handle to a scheduled Immediate. Copies refer to the same immediate;
/// discarding them does not cancel it. Loop-thread only.
class immediate {
 public:
  immediate() noexcept = default;
  explicit immediate(detail::immediate_node* n) noexcept : node_(n) { detail::retain(node_); }
  immediate(const immediate& o) noexcept : node_(o.node_) { detail::retain(node_); }
  immediate(immediate&& o) noexcept : node_(std::exchange(o.node_, nullptr)) {}
  immediate& operator=(immediate o) noexcept {
    std::swap(node_, o.node_);
    return *this;
  }
  ~immediate() { detail::release(node_); }

  async_id id() const noexcept;
  /// An unref'd immediate does not keep the loop running. On a handle whose
  /// immediate has run or been cleared (even after its loop is gone), only
  /// has_ref() changes.
  immediate& unref();
  immediate& ref();
  bool has_ref() const noexcept;

  detail::immediate_node* node() const noexcept { return node_; }

 private:
  detail::immediate_node* node_ = nullptr;
};

namespace detail {
timeout start_timer(loop_core& loop, unique_function<void()> fn, std::chrono::milliseconds delay,
                    bool repeat);

/// Builds a callback in `slot` from the callable at `f`: set_immediate()
/// constructs its callback once, in the node that runs it, instead of moving
/// a unique_function through each layer (each move is an indirect call).
using construct_callback = void (*)(unique_function<void()>& slot, void* f);

template <class F>
void construct_from(unique_function<void()>& slot, void* f) {
  auto& src = *static_cast<std::remove_reference_t<F>*>(f);
  if constexpr (std::is_same_v<std::remove_cvref_t<F>, unique_function<void()>>) {
    slot = std::forward<F>(src);
  } else {
    slot.emplace(std::forward<F>(src));
  }
}

/// `construct(slot, f)` runs once, before anything else is set up (if it
/// throws, nothing was scheduled).
immediate start_immediate(loop_core& loop, construct_callback construct, void* f);
}  // namespace detail

/// Runs `f` once after `delay` (at least 1 ms, as in Node) in the timers
/// phase. Creates a "Timeout" resource (trigger: the current execution id);
/// `f` runs in the context captured now. `destroy` follows its `after`.
template <class F>
timeout set_timeout(F&& f, std::chrono::milliseconds delay = {}) {
  return detail::start_timer(detail::current_core(), detail::unique_function<void()>(std::forward<F>(f)),
                             delay, false);
}

/// Runs `f` every `interval` until clear_interval(). One "Timeout" resource
/// for the whole interval; each run gets its own before/after.
template <class F>
timeout set_interval(F&& f, std::chrono::milliseconds interval) {
  return detail::start_timer(detail::current_core(), detail::unique_function<void()>(std::forward<F>(f)),
                             interval, true);
}

/// Cancels the timer; `destroy` fires at once (or, when called from the
/// timer's own callback, right after that callback's `after`). Clearing an
/// empty, fired or already cleared handle does nothing.
void clear_timeout(timeout& t);
void clear_interval(timeout& t);

/// Runs `f` in the check phase of the loop's next turn (Node's setImmediate).
/// Creates an "Immediate" resource. Immediates scheduled by an immediate run
/// on the following turn.
template <class F>
immediate set_immediate(F&& f) {
  if constexpr (std::is_function_v<std::remove_reference_t<F>>) {
    return set_immediate(&f);  // a function: its pointer is the callable
  } else {
    return detail::start_immediate(detail::current_core(), &detail::construct_from<F>,
                                   const_cast<void*>(static_cast<const void*>(std::addressof(f))));
  }
}

/// Cancels the immediate (its `destroy` fires, with no before/after).
void clear_immediate(immediate& i);

}  // namespace tether
