#pragma once
// Not API. May change without notice.
//
// The shared state behind tether::promise<T>, its coroutines and resolvers.
//
// Every state is a PROMISE resource (tether/integration.hpp) with:
//  - `refs`: owning references, non-atomic (loop-thread only): promise<T>
//    handles, resolvers, a coroutine's own body until it finishes, a pending
//    reaction that will still read the value, a queued job;
//  - `settlers`: how many things may still settle it (resolvers, the body of
//    its coroutine, the reaction of a then()-derived promise, the elements of
//    a combinator). A pending state whose settlers all went away can never
//    settle: it is "dead", and whatever waits on it is reclaimed (JS would
//    leave it pending forever and let the GC collect it);
//  - a FIFO of `reaction` nodes waiting for it. A node is embedded in what
//    waits (the awaiter inside the awaiting coroutine's frame, the derived
//    state of then()), so registering costs no allocation.
//
// Settling calls each node's `settled`, which queues a microtask (a promise
// reaction job, a microtask with no unique_function and no resource of its
// own: loop_core::push_raw_reaction) that runs inside the waiter's resource;
// nothing user-visible ever runs inside settle().
//
// Destruction and reclamation are trampolined (promise.cpp), so releasing
// the head of a 100000-long chain does not recurse 100000 deep.

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include <tether/async_hooks.hpp>
#include <tether/detail/block_cache.hpp>
#include <tether/detail/diagnostics.hpp>
#include <tether/detail/hook_dispatch.hpp>
#include <tether/detail/intrusive_list.hpp>
#include <tether/detail/thread_state.hpp>
#include <tether/integration.hpp>
#include <tether/resource.hpp>


namespace tether::detail {

// ---------------------------------------------------------------------------

inline constexpr std::string_view promise_type_name = "PROMISE";

enum class promise_status : std::uint8_t { pending, fulfilled, rejected };

struct promise_base;
struct reaction;

/// What a waiting node does. `settled`: its source settled (queue the job);
/// `dead`: its source can never settle. Both are called inside the
/// reclamation trampoline or settle(), never with user code on the stack
/// above them that could observe a half-updated state.
struct reaction_ops {
  void (*settled)(reaction& self, promise_base& source) noexcept;
  void (*dead)(reaction& self) noexcept;
  // For nodes scheduled through schedule_job(): the job runs (inside its
  // target's callback_scope) or is discarded unrun (loop teardown).
  void (*run)(reaction& self) noexcept;
  void (*dropped)(reaction& self) noexcept;
};

/// Linked into its source's `reactions` while it waits (unlinked in O(1)
/// when the awaiter goes away first).
struct reaction : list_hook<> {
  const reaction_ops* ops = nullptr;
};

struct reclaim_tag;  // promise_base's hook: the reclamation trampoline's queue

struct promise_base : resource, list_hook<reclaim_tag> {
  promise_base() noexcept = default;
  promise_base(const promise_base&) = delete;
  promise_base& operator=(const promise_base&) = delete;

  void (*destroy_fn)(promise_base*) noexcept = nullptr;  // frees the state (or coroutine frame)
  intrusive_list<reaction> reactions;  // waiting, in attach order
  std::exception_ptr error;           // when rejected
  std::uint32_t refs = 0;
  std::uint32_t settlers = 0;
  promise_status status = promise_status::pending;
  bool handled = false;  // a reaction was ever attached (Node's [[PromiseIsHandled]])
  bool locked = false;   // resolve/reject already called (resolver, adoption)
  bool failed = false;   // coroutine: the body ended with an exception
  std::uint8_t work = 0;

  bool dead() const noexcept { return status == promise_status::pending && settlers == 0; }
};

template <class T>
struct value_state : promise_base {
  std::optional<T> value;
};

template <>
struct value_state<void> : promise_base {};

/// PROMISE init without capturing the context frame (a coroutine captures it
/// when it awaits; that is the only time its frame is used).
inline void init_promise_resource(promise_base& p, async_id trigger = 0) noexcept {
  thread_state& s = tls;
  // The trigger first (as emit_init): on a thread's first event it assigns
  // the thread's top-level id, which must be smaller than the resource's.
  const async_id trigger_id = trigger != 0 ? trigger : execution_async_id();
  const async_id id = new_async_id(s);
  resource_access::init(p, promise_type_name, id, trigger_id, s.hook_depth != 0);
  resource_access::mark_awaitable(p);
  emit_hook(hook_event::init, p);
}

/// PROMISE init capturing the current frame (then()-derived promises:
/// Node 65, their reaction sees the context of the then() call).
inline void init_promise_capturing(promise_base& p, async_id trigger = 0) noexcept {
  thread_state& s = tls;
  // The trigger first (as emit_init): on a thread's first event it assigns
  // the thread's top-level id, which must be smaller than the resource's.
  const async_id trigger_id = trigger != 0 ? trigger : execution_async_id();
  const async_id id = new_async_id(s);
  resource_access::init(p, promise_type_name, id, trigger_id, s.hook_depth != 0);
  resource_access::mark_awaitable(p);
  resource_access::capture_frame(p, s.frame);
  emit_hook(hook_event::init, p);
}

void destroy_promise(promise_base& p) noexcept;
void promise_dead(promise_base& p) noexcept;
void settle_slow(promise_base& p) noexcept;
/// The coroutine `c` (suspended) will never be resumed: give up its body.
void abandon_coroutine(promise_base& c) noexcept;

inline void add_ref(promise_base& p) noexcept { ++p.refs; }

inline void release(promise_base* p) noexcept {
  if (p != nullptr && --p->refs == 0) {
    destroy_promise(*p);
  }
}

inline void release_settler(promise_base& p) noexcept {
  if (--p.settlers == 0 && p.status == promise_status::pending) {
    promise_dead(p);
  }
}

/// Marks `p` settled (its value or error already stored), fires
/// `promise_resolve`, queues its reactions, and tracks an unhandled rejection.
inline void settle(promise_base& p, promise_status s) noexcept {
  p.status = s;
  p.locked = true;
  emit_promise_resolve(p);
  if (!p.reactions.empty() || (s == promise_status::rejected && !p.handled)) {
    settle_slow(p);
  }
}

/// Makes `r` wait for `p` (marks `p` handled). Queues its job now if `p` has
/// settled; calls `dead` now if `p` can never settle.
void attach(promise_base& p, reaction& r) noexcept;

/// Queues `r`'s job as a promise reaction running inside `target` (which is
/// kept alive until the job and its scope are over). The loop must exist.
void schedule_job(promise_base& target, reaction& r) noexcept;

/// Throws usage_error if this thread has no event_loop.
void require_loop();

/// Registers a coroutine awaiter: `owner` is the awaiting coroutine's state
/// (null for a coroutine type that is not tether's), `h` its handle.
struct await_node : reaction {
  std::coroutine_handle<> handle;
  promise_base* owner = nullptr;
  void* foreign = nullptr;  // the throwaway resource of a foreign awaiter
  // Where the awaiting coroutine is suspended: await_on()'s return address,
  // which lies in the coroutine's own code because await_suspend is always
  // inlined. Read by the await-chain walker (detail/diagnostics.hpp).
  const void* resume_address = nullptr;
};
/// Throws usage_error (rethrown at the co_await) if `awaited` is null or
/// the thread has no event_loop. Records its return address in `node`.
void await_on(promise_base* awaited, await_node& node);
/// The awaiter goes away: unlinks `node` from `awaited` if still waiting,
/// detaches a foreign awaiter's throwaway resource.
void await_node_cleanup(await_node& node, promise_base& awaited) noexcept;

/// A copy of (or, when `s` has no other owner, the moved) value.
template <class T>
T take_value(value_state<T>& s) {
  if constexpr (std::is_copy_constructible_v<T>) {
    if (s.refs <= 1) {
      return std::move(*s.value);
    }
    return *s.value;
  } else {
    return std::move(*s.value);
  }
}

/// Copies `from`'s outcome (settled) into `to` and settles it.
template <class T>
void settle_from(value_state<T>& to, value_state<T>& from) noexcept {
  if (from.status == promise_status::rejected) {
    to.error = from.error;
    settle(to, promise_status::rejected);
    return;
  }
  if constexpr (!std::is_void_v<T>) {
    try {
      to.value.emplace(take_value(from));
    } catch (...) {
      to.error = std::current_exception();
      settle(to, promise_status::rejected);
      return;
    }
  }
  settle(to, promise_status::fulfilled);
}

std::exception_ptr non_null(std::exception_ptr e) noexcept;

/// A standalone (non-coroutine) state, allocated from the frame cache.
template <class T, class Derived>
struct heap_state_base : value_state<T> {
  heap_state_base() noexcept {
    this->destroy_fn = [](promise_base* p) noexcept {
      Derived* d = static_cast<Derived*>(p);
      d->~Derived();
      cached_free(d, sizeof(Derived));
    };
  }
  template <class... A>
  static Derived* create(A&&... args) {
    void* mem = cached_alloc(sizeof(Derived));
    try {
      return ::new (mem) Derived(std::forward<A>(args)...);
    } catch (...) {
      cached_free(mem, sizeof(Derived));
      throw;
    }
  }
};

template <class T>
struct plain_state final : heap_state_base<T, plain_state<T>> {};

}  // namespace tether::detail
