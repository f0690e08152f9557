// Not API. May change without notice.
//
// The flavour-independent half of tether's Asio handler tracking. Each
// tracking header (asio_tracking.hpp for standalone Asio, boost_asio_tracking.hpp
// for Boost.Asio) defines
//   TETHER_ASIO_FLAVOUR  the namespace this copy lives in (asio_standalone, asio_boost)
//   TETHER_ASIO_NS       Asio's namespace, unqualified (asio, boost::asio)
// then includes this file, and then binds its flavour's macro names
// (ASIO_HANDLER_CREATION, BOOST_ASIO_HANDLER_CREATION, ...) to the
// TETHER_ASIO_* macros defined at the end. A program may track both flavours
// at once: each copy lives in its own namespace.
// There is deliberately no include guard; included alone, it stands for the
// standalone flavour.
//
// How an Asio operation becomes a tether resource (docs/asio.md has the
// user's view, src/asio/README.md the design):
//
//   async_xxx()       creation  : the op (which derives from tracked_handler,
//                                 a tether::resource) gets emit_init in the
//                                 caller's context: id, trigger, frame
//   op completes      completion: its identity moves into a resource on the
//                                 stack (Asio frees the op before the upcall)
//   handler runs      invocation: a callback_scope around the upcall
//   completion ends   ~completion: destroy (also unrun, also on throw)
//
// Plumbing that is not the user's work is folded away: strand invokers get no
// identity at all, and a completion that only hands its handler to another
// executor (a strand, bind_executor) passes its identity on to the operation
// that runs the handler, so one user handler is one resource.
//
// Coroutines: every co_await of an asio::awaitable goes through an awaiter
// (operator co_await below) that saves the coroutine's context when it
// suspends and puts it back when it resumes; each co_spawn'ed coroutine is an
// "asio.co_spawn" resource whose callbacks are the slices it runs between
// suspensions.

#if !defined(TETHER_ASIO_FLAVOUR)
#include <tether/detail/asio_tracking.hpp>
#else

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <tether/integration.hpp>

namespace tether::detail::TETHER_ASIO_FLAVOUR {

// ---------------------------------------------------------------------------
// The tracked-handler base: Asio makes it a base of every operation
// (ASIO_INHERIT_TRACKED_HANDLER), so the resource lives inside the op: no
// map, no lock, no allocation.

/// What tracking knows about one operation, beyond its resource identity.
enum op_flags : std::uint8_t {
  op_tracked = 1,       // emit_init ran (or the identity was adopted): it has an id
  op_continuation = 2,  // carries the identity of the completion that handed it off
  op_spawn_start = 4,   // the first operation of a co_spawn'ed coroutine
};

class tracked_handler : public tether::resource {
 public:
  tracked_handler() noexcept = default;

  std::uint8_t tether_op_flags = 0;

 protected:
  // Nothing deletes an operation through this base (Asio's own rule).
  [[gnu::always_inline]] ~tracked_handler() = default;
};

// ---------------------------------------------------------------------------
// Type-level facts about an operation, from its template arguments only
// (Asio's op types are templates whose first argument is the function they
// run: executor_op<Function, Alloc, Operation>, completion_handler<Handler,
// IoExecutor>).

template <class T>
struct first_argument {
  using type = void;
};
template <template <class...> class T, class A, class... R>
struct first_argument<T<A, R...>> {
  using type = A;
};
template <class T>
using first_argument_t = typename first_argument<T>::type;

// A strand invoker (strand_executor_service::invoker) is plumbing: it runs the
// strand's queued handlers, each of which is tracked on its own. Found through
// its public on_invoker_exit member, at any depth of wrapping
// (allocator_binder, binder0).
template <class T, int Depth = 0>
struct is_strand_invoker {
  static constexpr bool value = [] {
    if constexpr (requires { typename T::on_invoker_exit; }) {
      return true;
    } else if constexpr (Depth < 4 && !std::is_void_v<first_argument_t<T>>) {
      return is_strand_invoker<first_argument_t<T>, Depth + 1>::value;
    } else {
      return false;
    }
  }();
};

// Asio's argument binders: what handler_work::complete passes on when a
// completion hands its handler to the handler's own executor. binder1..5 and
// move_binder1/2 have public handler_ and arg1_; binder0 only handler_.
template <class F>
concept bound_with_arguments = requires(F& f) {
  f.handler_;
  f.arg1_;
};

// is_work_dispatcher<F>: the wrapper post/dispatch/defer put around a handler
// bound to another executor; is_executor_function<F>: what a type-erased
// executor (any_io_executor) wraps every function in. Both defined by each
// flavour's header.
template <class F>
struct is_work_dispatcher : std::false_type {};
template <class F>
struct is_executor_function : std::false_type {};

// ---------------------------------------------------------------------------
// Resource type names. Every ASIO_HANDLER_CREATION call site passes string
// literals for the object type and the operation name, so the name is picked
// at compile time, once per call site.

struct site_name {
  std::string_view name;         // the type; empty: not known, build it at run time
  std::string_view stream_name;  // sockets: the name on a stream socket
};

constexpr site_name classify(std::string_view object, std::string_view op) noexcept {
  using sv = std::string_view;
  const auto is = [&](sv o, sv n) { return object == o && op == n; };
  // Executors. The free functions post/defer/dispatch reach an io_context
  // through its standard executor's execute(); Asio gives tracking no way to
  // tell them apart there (docs/asio.md, "Limits").
  if (object == "io_context" || object == "thread_pool" || object == "system_executor") {
    if (op == "execute" || op == "post" || op.starts_with("execute(blk=never,rel=fork)")) {
      return {"asio.post", {}};
    }
    if (op == "defer" || op.starts_with("execute(blk=never,rel=cont)")) return {"asio.defer", {}};
    if (op == "dispatch") return {"asio.dispatch", {}};
    if (op.starts_with("execute(blk=always)")) return {"asio.execute", {}};
    if (op.starts_with("bulk")) return {"asio.bulk_execute", {}};
  }
  if (object == "strand_executor" || object == "strand") {
    if (op == "execute" || op == "post") return {"asio.strand.post", {}};
    if (op == "dispatch") return {"asio.strand.dispatch", {}};
    if (op == "defer") return {"asio.strand.defer", {}};
  }
  if (is("deadline_timer", "async_wait")) return {"asio.deadline_timer", {}};
  if (object == "socket") {
    if (op == "async_accept") return {"asio.acceptor.async_accept", {}};
    if (op == "async_connect") return {"asio.socket.async_connect", {}};
    if (op == "async_receive" || op == "async_receive_with_flags") {
      return {"asio.socket.async_receive", "asio.socket.async_read_some"};
    }
    if (op == "async_send") return {"asio.socket.async_send", "asio.socket.async_write_some"};
    if (op == "async_receive_from") return {"asio.socket.async_receive_from", {}};
    if (op == "async_send_to") return {"asio.socket.async_send_to", {}};
    if (op.starts_with("async_wait") || op.ends_with("(null_buffers)")) {
      return {"asio.socket.async_wait", {}};
    }
  }
  if (object == "descriptor") {
    if (op == "async_read_some") return {"asio.descriptor.async_read_some", {}};
    if (op == "async_write_some") return {"asio.descriptor.async_write_some", {}};
    return {"asio.descriptor.async_wait", {}};
  }
  if (is("resolver", "async_resolve")) return {"asio.resolver", {}};
  if (is("signal_set", "async_wait")) return {"asio.signal_set", {}};
  if (object == "channel") {
    if (op.starts_with("async_send")) return {"asio.channel.async_send", {}};
    if (op.starts_with("async_receive")) return {"asio.channel.async_receive", {}};
  }
  return {{}, {}};
}

/// "asio.<object>.<op>" for a call site classify() does not know, kept for
/// the program's life (one per call site, built on its first use).
std::string_view unknown_site_name(const char* object, const char* op);

/// The type of the operation an ASIO_HANDLER_CREATION site creates.
/// `Object` is what the site passes as the object: a socket's
/// implementation tells stream from datagram, a timer's its clock.
template <class Object>
std::string_view type_name(const site_name& site, const Object* object) noexcept {
  if constexpr (requires { object->expiry.time_since_epoch(); }) {
    using clock = typename std::remove_cvref_t<decltype(object->expiry)>::clock;
    if constexpr (std::is_same_v<clock, std::chrono::steady_clock>) {
      return "asio.steady_timer";
    } else if constexpr (std::is_same_v<clock, std::chrono::system_clock>) {
      return "asio.system_timer";
    }
  }
  if constexpr (requires { object->state_; }) {
    // socket_ops::stream_oriented (16 in Asio 1.22 and Boost 1.74; the
    // socket tests check the names this gives).
    if (!site.stream_name.empty() && object != nullptr && (object->state_ & 16) != 0) {
      return site.stream_name;
    }
  }
  return site.name;
}

// ---------------------------------------------------------------------------
// Per-thread state.

class completion;
class location;
class coroutine_resource;

/// The resource a handler (or a coroutine slice) runs in: a copy of the
/// operation's identity, made when Asio is about to free the operation.
class completion_resource final : public tether::resource {
 public:
  completion_resource() noexcept = default;
  [[gnu::always_inline]] ~completion_resource() = default;
};

/// One open coroutine slice: a spawned coroutine running (a callback_scope
/// on a copy of its identity) in the context it saved when it last suspended
/// (its context_scope). Slices end when the completion or handler location
/// they opened in ends, so a coroutine that finishes inside one is destroyed
/// after that slice's `after` (destroy_due).
///
/// A slice names its coroutine by id, never by address: nothing here can
/// reach a coroutine_resource after it is gone.
struct slice {
  async_id coroutine = 0;  // 0: context only, or the coroutine has ended
  // The Asio awaitable thread (the object that pumps a coroutine's frames)
  // that last ran the coroutine here: code suspending on another awaitable
  // thread is not this coroutine's, even with this slice on top (a
  // coroutine started inline by co_spawn, inside its spawner's slice).
  const void* thread = nullptr;
  unsigned boundary = 0;                    // tls.boundary when it opened
  unsigned scopes = 0;                      // tls.scopes when it opened
  bool has_resource = false;
  bool destroy_due = false;
  alignas(completion_resource) std::byte resource_storage[sizeof(completion_resource)]{};
  alignas(tether::callback_scope) std::byte callback_storage[sizeof(tether::callback_scope)]{};
  alignas(tether::captured_context) std::byte context_storage[sizeof(tether::captured_context)]{};
  alignas(tether::context_scope) std::byte context_scope_storage[sizeof(tether::context_scope)]{};

  completion_resource* resource() noexcept {
    return std::launder(reinterpret_cast<completion_resource*>(resource_storage));
  }
  tether::callback_scope* callback() noexcept {
    return std::launder(reinterpret_cast<tether::callback_scope*>(callback_storage));
  }
  tether::captured_context* context() noexcept {
    return std::launder(reinterpret_cast<tether::captured_context*>(context_storage));
  }
  tether::context_scope* context_scope() noexcept {
    return std::launder(reinterpret_cast<tether::context_scope*>(context_scope_storage));
  }
};

/// How many coroutine slices may be open on one thread at once (nested
/// resumptions: a coroutine resumed inline inside another's slice). Beyond
/// it a resumed coroutine runs in the resuming resource's identity and
/// context (slice_overflows() counts it).
inline constexpr unsigned max_open_slices = 32;

struct thread_state {
  completion* current = nullptr;        // innermost completion on this thread
  location* spawn_location = nullptr;   // innermost location that starts a co_spawn
  completion* spawn_completion = nullptr;  // innermost invoking spawn-start completion
  // Completions and handler locations entered and not left: the boundaries
  // coroutine slices close at.
  unsigned boundary = 0;
  // callback_scopes opened by completions (a slice may only be continued or
  // given a new context when nothing was opened above it).
  unsigned scopes = 0;
  unsigned open_slices = 0;
  std::uint64_t slice_overflows = 0;
  slice slices[max_open_slices];
};

extern constinit thread_local thread_state tls;

/// Opens a slice for the coroutine whose identity `c` is (its resource, or
/// a counted copy of it; null: context only), run by awaitable thread
/// `thread`, in context `ctx` (null: the one c's callback_scope installs);
/// false if max_open_slices are open.
bool open_slice(const tether::resource* c, const tether::captured_context* ctx,
                const void* thread) noexcept;
/// Closes the top slice.
void close_top_slice() noexcept;

/// Closes the slices opened inside the boundary at depth `boundary` or
/// deeper, innermost first (out of line: see coroutine.cpp).
void close_slices_from(unsigned boundary) noexcept;

/// Closes the slices opened inside the boundary that is ending (depth
/// `boundary`), innermost first.
inline void close_slices_at(thread_state& t, unsigned boundary) noexcept {
  if (t.open_slices != 0) [[unlikely]] {
    close_slices_from(boundary);
  }
}

// ---------------------------------------------------------------------------
// ASIO_HANDLER_LOCATION: Asio names composed operations (async_read,
// async_write, ...) and use_awaitable initiations with it. tether uses it to
// find the operation that starts a co_spawn'ed coroutine, and as a boundary
// for coroutine slices resumed inline inside an initiation.

class location {
 public:
  location(const char* file, int line, const char* func) noexcept {
    static_cast<void>(file);
    static_cast<void>(line);
    thread_state& t = tls;
    boundary_ = ++t.boundary;
    previous_spawn_ = t.spawn_location;
    if (func != nullptr && starts_spawn(func)) [[unlikely]] {
      t.spawn_location = this;
    }
  }
  ~location() {
    thread_state& t = tls;
    close_slices_at(t, boundary_);
    t.spawn_location = previous_spawn_;
    --t.boundary;
  }
  location(const location&) = delete;
  location& operator=(const location&) = delete;

  /// True while this location may still start a coroutine: nothing has taken it.
  bool armed(const thread_state& t) const noexcept { return !taken_ && t.boundary == boundary_; }
  void take() noexcept { taken_ = true; }

 private:
  // co_spawn_entry_point's first co_await names itself (its use_awaitable_t
  // carries the function's name; GCC gives a full signature through
  // source_location, hence a search).
  static bool starts_spawn(const char* func) noexcept {
    return std::strstr(func, "co_spawn_entry_point") != nullptr;
  }

  unsigned boundary_ = 0;
  location* previous_spawn_ = nullptr;
  bool taken_ = false;
};

/// ASIO_HANDLER_COMPLETION declares one of these, named tracked_completion,
/// at the start of every operation's completion path (run or abandoned).
class completion {
 public:
  template <class Op>
  [[gnu::always_inline]] explicit completion(Op& op) noexcept {
    tracked_handler& h = op;
    thread_state& t = tls;
    previous_ = t.current;
    t.current = this;
    boundary_ = ++t.boundary;
    if constexpr (is_work_dispatcher<first_argument_t<Op>>::value) {
      flags_ |= work_dispatcher;
    }
    const std::uint8_t op_flags = h.tether_op_flags;
    if ((op_flags & op_tracked) == 0) {
      return;  // plumbing, or an op Asio never announced
    }
    flags_ |= tracked;
    detail::resource_access::move_identity(resource_, h);
    if ((op_flags & op_spawn_start) != 0) {
      flags_ |= spawn_start;
    }
    if ((op_flags & op_continuation) != 0 && previous_ != nullptr &&
        (previous_->flags_ & invoking) != 0 && previous_->resource_.id() == resource_.id()) {
      // A hand-off that runs at once, inside the completion that handed it
      // off (a strand that was free): that completion's callback is this
      // handler's, and it keeps the destroy.
      flags_ |= transparent;
      previous_->flags_ &= static_cast<std::uint16_t>(~handed_off);
    }
  }

  [[gnu::always_inline]] ~completion() {
    end_invocation();
    thread_state& t = tls;
    close_slices_at(t, boundary_);
    if ((flags_ & (tracked | handed_off | transparent | identity_taken)) == tracked) {
      detail::resource_access::mark_destroyed(resource_);
      detail::emit_hook(detail::hook_event::destroy, resource_);
    } else if (detail::resource_access::observer_data(resource_) != nullptr) [[unlikely]] {
      // Another resource with this identity gets the destroy (the operation
      // it was handed off to, or the completion above): give back this
      // copy's share of the observer's data (a stack trace's record).
      detail::observer_release(resource_);
    }
    t.current = previous_;
    --t.boundary;
  }

  completion(const completion&) = delete;
  completion& operator=(const completion&) = delete;

  /// ASIO_HANDLER_INVOCATION_BEGIN: the handler is about to run (its
  /// arguments are not needed).
  template <class... Args>
  [[gnu::always_inline]] void invocation_begin(const Args&...) noexcept {
    if ((flags_ & (tracked | transparent)) != tracked) {
      return;
    }
    flags_ |= invoking;
    if constexpr (sizeof...(Args) != 0) {
      flags_ |= with_arguments;  // an I/O completion, not a queued function
    }
    thread_state& t = tls;
    if ((flags_ & spawn_start) != 0) {
      // The coroutine's first resumption: no callback of its own; the
      // coroutine resource takes the identity (coroutine_resource::adopt).
      previous_spawn_ = t.spawn_completion;
      t.spawn_completion = this;
      return;
    }
    ::new (static_cast<void*>(scope_storage_)) tether::callback_scope(resource_);
    ++t.scopes;
  }

  /// ASIO_HANDLER_INVOCATION_END (not reached when the handler throws: the
  /// destructor then does the same during unwinding).
  [[gnu::always_inline]] void invocation_end() noexcept { end_invocation(); }

  /// A hand-off (Asio passing a handler on to the handler's own executor)
  /// is the first operation a completion creates while it invokes, when:
  /// the completion is a work dispatcher (that is all it does); or the
  /// operation runs an argument binder (what handler_work::complete passes
  /// on); or, for an I/O completion, a type-erased function (the handler's
  /// executor is an any_io_executor: a socket or timer made on a strand).
  template <class Op>
  bool takes_handoff() noexcept {
    const bool first = ops_created_++ == 0;
    if (!first ||
        (flags_ & (tracked | invoking | transparent | spawn_start)) != (tracked | invoking)) {
      return false;
    }
    using function = first_argument_t<Op>;
    if ((flags_ & work_dispatcher) != 0) {
      return true;
    }
    if constexpr (bound_with_arguments<function>) {
      return true;
    } else if constexpr (is_executor_function<function>::value) {
      return (flags_ & with_arguments) != 0;
    } else {
      return false;
    }
  }
  /// The trigger of an operation created inside this completion but outside
  /// its invocation (by a handler's destructor); 0 inside it.
  async_id cleanup_trigger() const noexcept {
    return (flags_ & (tracked | invoking)) == tracked ? resource_.id() : 0;
  }
  void hand_off(tracked_handler& op) noexcept {
    detail::resource_access::copy_identity(op, resource_);
    op.tether_op_flags = op_tracked | op_continuation;
    flags_ |= handed_off;
  }

  /// For a spawn-start completion: the coroutine takes over its identity.
  bool spawn_armed(const thread_state& t) const noexcept {
    return (flags_ & (spawn_start | invoking | identity_taken)) == (spawn_start | invoking) &&
           t.boundary == boundary_;
  }
  void give_identity(tether::resource& to) noexcept {
    detail::resource_access::move_identity(to, resource_);
    flags_ |= identity_taken;
  }

 private:
  enum : std::uint16_t {
    tracked = 1,
    invoking = 2,
    handed_off = 4,      // its handler continues in another operation, which destroys
    transparent = 8,     // an inline hand-off: the completion above runs its callback
    spawn_start = 16,
    identity_taken = 32,  // a coroutine resource took its identity
    work_dispatcher = 64,
    with_arguments = 128,  // the invocation passed arguments (ec, bytes...)
  };

  [[gnu::always_inline]] void end_invocation() noexcept {
    if ((flags_ & invoking) == 0) {
      return;
    }
    flags_ &= static_cast<std::uint16_t>(~invoking);
    thread_state& t = tls;
    close_slices_at(t, boundary_);
    // An invocation is tracked and not transparent (invocation_begin): it
    // built the handler's callback_scope, unless it starts a coroutine.
    if ((flags_ & spawn_start) == 0) {
      --t.scopes;
      std::launder(reinterpret_cast<tether::callback_scope*>(scope_storage_))->~callback_scope();
    } else {
      t.spawn_completion = previous_spawn_;
    }
  }

  completion_resource resource_;
  // The running handler's callback_scope, built in place while `invoking`
  // and not `spawn_start` (not a std::optional: GCC keeps its reset out of
  // line, a call per handler).
  alignas(tether::callback_scope) std::byte scope_storage_[sizeof(tether::callback_scope)];
  completion* previous_ = nullptr;
  completion* previous_spawn_ = nullptr;
  unsigned boundary_ = 0;
  unsigned ops_created_ = 0;
  std::uint16_t flags_ = 0;
};

// ---------------------------------------------------------------------------
// ASIO_HANDLER_CREATION.

template <class Op, class Object, class Site>
[[gnu::always_inline]] inline void on_creation(Op& op, const Object* object, Site site) noexcept {
  if constexpr (is_strand_invoker<Op>::value) {
    return;  // plumbing: no identity; the handlers it runs have their own
  } else {
    tracked_handler& h = op;
    thread_state& t = tls;
    async_id trigger = 0;  // the current execution id
    location* spawn = t.spawn_location;
    if (spawn != nullptr && !spawn->armed(t)) {
      spawn = nullptr;
    }
    if (completion* c = t.current) {
      // An operation created directly inside an armed co_spawn location is
      // the start of a new coroutine, never a hand-off, even when it has a
      // hand-off's shape (a co_spawn onto a strand is the first thing a
      // coroutine resumed by an I/O completion does): folded, the coroutine
      // would run as that completion and as its spawner, not as itself.
      // takes_handoff() still counts it as the completion's first operation.
      if (c->template takes_handoff<Op>() && spawn == nullptr) {
        c->hand_off(h);
        return;
      }
      // Created while Asio destroys a handler (after it ran, or abandoned
      // at shutdown): caused by that operation, which is not running.
      trigger = c->cleanup_trigger();
    }
    std::string_view type = type_name(site(), object);
    std::uint8_t flags = op_tracked;
    if (location* l = spawn) [[unlikely]] {
      // The operation that will start a co_spawn'ed coroutine: announced now,
      // in the spawner's context, as the coroutine.
      l->take();
      type = "asio.co_spawn";
      flags |= op_spawn_start;
    }
    tether::emit_init(h, type, trigger);
    h.tether_op_flags = flags;
  }
}

// ---------------------------------------------------------------------------
// Coroutines (asio::awaitable).

/// A co_spawn'ed coroutine: "asio.co_spawn", created in the spawner's
/// context; its callbacks are the slices the coroutine runs between
/// suspensions. Lives in the awaiter of the coroutine's outermost co_await
/// (inside co_spawn's entry point), so exactly as long as the coroutine.
class coroutine_resource final : public tether::resource {
 public:
  coroutine_resource() noexcept = default;
  ~coroutine_resource();
  coroutine_resource(const coroutine_resource&) = delete;
  coroutine_resource& operator=(const coroutine_resource&) = delete;
};

/// What every awaiter does; the awaiter template below adds the awaitable
/// it forwards to, and finds the awaitable thread that runs the awaiting
/// frame.
class awaiter_base {
 protected:
  awaiter_base() noexcept = default;
  ~awaiter_base();
  awaiter_base(const awaiter_base&) = delete;
  awaiter_base& operator=(const awaiter_base&) = delete;

  /// The awaiting coroutine, run by awaitable thread `thread`, suspends:
  /// remember whose it is and its context; if this is the outermost
  /// co_await of a co_spawn, the coroutine starts.
  void suspend(const void* thread) noexcept;
  /// It resumes, run by awaitable thread `thread`: its slice (re)opens in
  /// the context it had.
  void resume(const void* thread) noexcept;

 private:
  tether::captured_context saved_;
  // Whose coroutine is awaiting: a counted copy of its identity (its own
  // reference to the captured frame and, through resource_observer::copy,
  // its own share of an observer's data), valid however long the coroutine
  // sleeps, also once the coroutine's resource is gone. Id 0: none of ours.
  completion_resource owner_;
  std::optional<coroutine_resource> spawned_;  // set only for the outermost co_await
};

/// Open slices this thread could not open because max_open_slices were open.
std::uint64_t slice_overflows() noexcept;

}  // namespace tether::detail::TETHER_ASIO_FLAVOUR

namespace TETHER_ASIO_NS {
namespace detail {
template <typename, typename, typename>
class work_dispatcher;
class executor_function;
template <typename Executor>
class awaitable_frame_base;
}  // namespace detail
template <typename T, typename Executor>
class awaitable;
}  // namespace TETHER_ASIO_NS

namespace tether::detail::TETHER_ASIO_FLAVOUR {

template <class H, class E, class V>
struct is_work_dispatcher<::TETHER_ASIO_NS::detail::work_dispatcher<H, E, V>> : std::true_type {};
template <>
struct is_executor_function<::TETHER_ASIO_NS::detail::executor_function> : std::true_type {};

/// The awaitable thread (Asio's object that pumps one co_spawn's stack of
/// frames) running `frame` now: the frame's protected attached_thread_,
/// read through a derived class's using-declaration (Asio has no getter, and
/// its detach_thread() has side effects in 1.22).
template <class Executor>
struct frame_thread_access : ::TETHER_ASIO_NS::detail::awaitable_frame_base<Executor> {
  using ::TETHER_ASIO_NS::detail::awaitable_frame_base<Executor>::attached_thread_;
};
template <class Executor>
const void* running_thread(
    const ::TETHER_ASIO_NS::detail::awaitable_frame_base<Executor>* frame) noexcept {
  return frame != nullptr ? frame->*(&frame_thread_access<Executor>::attached_thread_) : nullptr;
}

/// Every co_await of an awaitable: awaiter_base's suspend/resume around
/// Asio's own awaiter.
template <class T, class Executor>
class awaiter : public awaiter_base {
 public:
  explicit awaiter(::TETHER_ASIO_NS::awaitable<T, Executor>&& a) noexcept
      : awaitable_(std::move(a)) {}

  bool await_ready() const noexcept { return awaitable_.await_ready(); }
  template <class Handle>
  void await_suspend(Handle h) {
    frame_ = &h.promise();
    suspend(running_thread(frame_));
    awaitable_.await_suspend(h);
  }
  T await_resume() {
    resume(running_thread(frame_));
    return awaitable_.await_resume();
  }

 private:
  // The awaiting coroutine's frame (Asio's promise; it outlives the awaiter).
  const ::TETHER_ASIO_NS::detail::awaitable_frame_base<Executor>* frame_ = nullptr;
  // Destroyed before the base: the coroutine's frames go first, then its
  // resource (awaiter_base::spawned_).
  ::TETHER_ASIO_NS::awaitable<T, Executor> awaitable_;
};

}  // namespace tether::detail::TETHER_ASIO_FLAVOUR

/// Found by ordinary lookup from every coroutine in a tracked translation
/// unit, Asio's own included (no namespace of Asio's declares another
/// operator co_await).
template <class T, class Executor>
::tether::detail::TETHER_ASIO_FLAVOUR::awaiter<T, Executor> operator co_await(
    ::TETHER_ASIO_NS::awaitable<T, Executor>&& a) noexcept {
  return ::tether::detail::TETHER_ASIO_FLAVOUR::awaiter<T, Executor>(std::move(a));
}

// The macro bodies, shared by both flavours (`ns` is TETHER_ASIO_FLAVOUR's
// value). Every ASIO_HANDLER_CREATION site passes string literals for the
// object type and the operation: the type is classified at compile time,
// once per call site.
#if !defined(TETHER_ASIO_MACRO_BODIES)
#define TETHER_ASIO_MACRO_BODIES 1
#define TETHER_ASIO_INHERIT(ns) : public ::tether::detail::ns::tracked_handler
#define TETHER_ASIO_ALSO_INHERIT(ns) , public ::tether::detail::ns::tracked_handler
#define TETHER_ASIO_LOCATION(ns, args) ::tether::detail::ns::location tether_asio_location args
#define TETHER_ASIO_CREATION(ns, op, object_type, object, op_name)                       \
  ::tether::detail::ns::on_creation(                                                      \
      op, object, []() noexcept -> ::tether::detail::ns::site_name {                      \
        constexpr ::tether::detail::ns::site_name known =                                 \
            ::tether::detail::ns::classify(object_type, op_name);                         \
        if constexpr (known.name.empty()) {                                               \
          static const std::string_view name =                                            \
              ::tether::detail::ns::unknown_site_name(object_type, op_name);              \
          return {name, {}};                                                              \
        } else {                                                                          \
          return known;                                                                   \
        }                                                                                 \
      })
#define TETHER_ASIO_COMPLETION(ns, args) ::tether::detail::ns::completion tracked_completion args
#define TETHER_ASIO_INVOCATION_BEGIN(args) tracked_completion.invocation_begin args
#define TETHER_ASIO_INVOCATION_END tracked_completion.invocation_end()
// Synchronous operations (close, cancel) and the reactor's own events are
// not resources.
#define TETHER_ASIO_IGNORED static_cast<void>(0)
#endif

#endif  // defined(TETHER_ASIO_FLAVOUR)
