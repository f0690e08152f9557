#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

#include <tether/detail/context_frame.hpp>
#include <tether/detail/thread_state.hpp>

namespace tether {

/// The id of the resource whose callback runs now on this thread; at a
/// thread's top level, that thread's top-level id (1 on the main thread, a
/// fresh process-unique id on any other). Never 0. Lock- and allocation-free.
inline async_id execution_async_id() noexcept {
  detail::thread_state& s = detail::tls;
  return s.execution_id != 0 ? s.execution_id : detail::assign_top_level_id(s);
}

/// The trigger id of the resource whose callback runs now; 0 at the top level.
inline async_id trigger_async_id() noexcept { return detail::tls.trigger_id; }

/// The resource whose callback runs now; at the top level, one stable object
/// per thread (type "TOPLEVEL") whose id is execution_async_id().
resource& execution_async_resource() noexcept;

namespace detail {
struct resource_access;
// hook_dispatch.hpp
void observer_copy(resource& to, const resource& from) noexcept;
void observer_release(resource& r) noexcept;
}  // namespace detail

/// Base of every tracked thing: an async_resource, a runtime's timer or
/// socket, an Asio operation. It carries its id, its trigger id, its type and
/// the context frame captured when it was initialised (tether/integration.hpp
/// describes that life cycle). Hooks receive it by reference in `init`.
///
/// Not copyable or movable: hooks and execution_async_resource() identify a
/// resource by its address. Thread-compatible.
class resource {
 public:
  resource(const resource&) = delete;
  resource& operator=(const resource&) = delete;

  async_id id() const noexcept { return id_; }
  async_id trigger_id() const noexcept { return trigger_id_; }
  /// "Timeout", "PROMISE", "TCPWRAP", or an async_resource's own type.
  std::string_view type() const noexcept { return {type_data_, type_size_}; }
  /// True once destroy has been emitted for it.
  bool destroyed() const noexcept { return (flags_ & destroyed_flag) != 0; }

 protected:
  resource() noexcept = default;
  // Not virtual: nothing deletes a resource through this base.
  [[gnu::always_inline]] ~resource() { detail::release_frame(frame_); }

 private:
  friend struct detail::resource_access;
  static constexpr std::uint8_t hidden_flag = 1;     // created inside a hook callback
  static constexpr std::uint8_t destroyed_flag = 2;  // destroy emitted, or due when its scope ends
  static constexpr std::uint8_t destroy_due_flag = 4;  // emit_destroy() ran inside its own scope
  static constexpr std::uint8_t awaitable_flag = 8;    // a runtime's awaitable (detail/diagnostics.hpp)

  // The type is kept as pointer + 32-bit size rather than a string_view, so
  // that observer_data_ fits in what was padding: a resource stays 48 bytes.
  async_id id_ = 0;
  async_id trigger_id_ = 0;
  const char* type_data_ = "";
  detail::context_frame* frame_ = nullptr;  // owned reference, captured at init
  void* observer_data_ = nullptr;           // the resource observer's (detail/hook_dispatch.hpp)
  std::uint32_t type_size_ = 0;
  std::uint8_t flags_ = 0;
};

namespace detail {

/// The one place that touches a resource's private state (integration.hpp,
/// hook dispatch, the top-level resource).
struct resource_access {
  static void init(resource& r, std::string_view type, async_id id, async_id trigger,
                   bool hidden) noexcept {
    r.id_ = id;
    r.trigger_id_ = trigger;
    r.type_data_ = type.data();
    r.type_size_ = static_cast<std::uint32_t>(type.size());
    r.flags_ = hidden ? resource::hidden_flag : std::uint8_t{0};
  }
  [[gnu::always_inline]] static void capture_frame(resource& r, const context_frame* f) noexcept {
    release_frame(r.frame_);
    r.frame_ = acquire_frame(f);
  }
  static const context_frame* frame(const resource& r) noexcept { return r.frame_; }
  /// Gives `to` the identity of `from` (id, trigger, type, flags) and moves
  /// its captured frame over without touching the count: for adapters whose
  /// operation memory is freed before the callback runs (Asio), the resource
  /// the callback runs in is a copy made at that moment.
  [[gnu::always_inline]] static void move_identity(resource& to, resource& from) noexcept {
    to.id_ = from.id_;
    to.trigger_id_ = from.trigger_id_;
    to.type_data_ = from.type_data_;
    to.type_size_ = from.type_size_;
    to.flags_ = from.flags_;
    release_frame(to.frame_);
    to.frame_ = from.frame_;
    from.frame_ = nullptr;
    // The observer's data goes with the identity (whichever of the two gets
    // the destroy releases what it holds).
    std::swap(to.observer_data_, from.observer_data_);
  }
  /// As move_identity, but `from` keeps its frame (one more reference): a
  /// second operation that continues the same resource (an Asio hand-off).
  static void copy_identity(resource& to, const resource& from) noexcept {
    to.id_ = from.id_;
    to.trigger_id_ = from.trigger_id_;
    to.type_data_ = from.type_data_;
    to.type_size_ = from.type_size_;
    to.flags_ = static_cast<std::uint8_t>(from.flags_ & resource::hidden_flag);
    release_frame(to.frame_);
    to.frame_ = acquire_frame(from.frame_);
    // The observer's data is never shared as a raw pointer: the copy gets a
    // share of its own from the observer (hook_dispatch.hpp), which its
    // destroy, or observer_release, gives back.
    if (to.observer_data_ != nullptr) [[unlikely]] {
      observer_release(to);
    }
    if (from.observer_data_ != nullptr) [[unlikely]] {
      observer_copy(to, from);
    }
  }
  static bool hidden(const resource& r) noexcept { return (r.flags_ & resource::hidden_flag) != 0; }
  static void mark_destroyed(resource& r) noexcept { r.flags_ |= resource::destroyed_flag; }
  /// Set after init by a runtime whose resource this is an awaitable of
  /// (detail/diagnostics.hpp: the await-chain walker may then downcast it).
  static void mark_awaitable(resource& r) noexcept { r.flags_ |= resource::awaitable_flag; }
  static bool awaitable(const resource& r) noexcept {
    return (r.flags_ & resource::awaitable_flag) != 0;
  }
  /// The one pointer a resource keeps for the resource observer. Written by
  /// the observer in init and destroy only (on the thread where those run),
  /// so readers that see the resource alive see the value init stored.
  static void*& observer_data(resource& r) noexcept { return r.observer_data_; }
  static void* observer_data(const resource& r) noexcept { return r.observer_data_; }
  static void mark_destroy_due(resource& r) noexcept { r.flags_ |= resource::destroy_due_flag; }
  /// True once: the destroy deferred by emit_destroy() inside r's own scope.
  static bool take_destroy_due(resource& r) noexcept {
    // Write only when set: scopes of one resource may run on several threads
    // at once, and they must only read the flags.
    if ((r.flags_ & resource::destroy_due_flag) == 0) {
      return false;
    }
    r.flags_ &= static_cast<std::uint8_t>(~resource::destroy_due_flag);
    return true;
  }
};

}  // namespace detail
}  // namespace tether
