// Coroutine slices: how an asio::awaitable coroutine keeps its own context
// across co_await, and how a co_spawn'ed coroutine is one resource.
//
// A coroutine runs in slices: from a resumption to the point where it has
// suspended and its next operation is initiated. Every slice opens on the
// thread that resumes the coroutine, inside whatever completion resumed it,
// as a callback of the coroutine's resource in the context the coroutine
// saved when it suspended. It closes when that completion (or the Asio
// handler location it was resumed inside) ends, so slices nest with the
// completions around them and every before has its after on the same thread.

#include "asio/flavour.hpp"

// GCC 12's UBSan null check on &tls.slices[i] (an element of a thread_local
// array) folds to "i == 0" and reports a null pointer for the first slice
// (seen at -O1, where the generated code tests only the index: the asan
// preset's level until 2026-12; a user's optimised sanitized build may hit
// it). The
// functions here that index tls.slices opt out of that one check; that is
// why close_slices_at() calls close_slices_from() instead of indexing inline.
#if defined(__GNUC__) && !defined(__clang__)
#define TETHER_ASIO_SLICE_ACCESS __attribute__((no_sanitize("null")))
#else
#define TETHER_ASIO_SLICE_ACCESS
#endif

namespace tether::detail::TETHER_ASIO_BUILD_FLAVOUR {
namespace {

TETHER_ASIO_SLICE_ACCESS slice* top_slice(thread_state& t) noexcept {
  return t.open_slices != 0 ? &t.slices[t.open_slices - 1] : nullptr;
}

// The slice that may be continued or given a new context: on top, and
// nothing (no completion's callback) opened above it since.
slice* continuable_slice(thread_state& t) noexcept {
  slice* s = top_slice(t);
  return s != nullptr && s->scopes == t.scopes ? s : nullptr;
}

// A spawn start armed at this depth: the operation that starts a co_spawn'ed
// coroutine is invoking (spawn_completion), or co_spawn's first dispatch runs
// inline inside its initiation (spawn_location).
bool spawn_armed(const thread_state& t) noexcept {
  return (t.spawn_completion != nullptr && t.spawn_completion->spawn_armed(t)) ||
         (t.spawn_location != nullptr && t.spawn_location->armed(t));
}

}  // namespace

TETHER_ASIO_SLICE_ACCESS bool open_slice(const tether::resource* c,
                                         const tether::captured_context* ctx,
                                         const void* thread) noexcept {
  thread_state& t = tls;
  if (t.open_slices == max_open_slices) [[unlikely]] {
    ++t.slice_overflows;
    return false;
  }
  slice& s = t.slices[t.open_slices];
  s.coroutine = c != nullptr ? c->id() : 0;
  s.thread = thread;
  s.boundary = t.boundary;
  s.scopes = t.scopes;
  s.has_resource = c != nullptr;
  s.destroy_due = false;
  if (c != nullptr) {
    // The slice runs on its own copy of the identity: the coroutine may end
    // (and its resource go) before the slice does.
    completion_resource* r = ::new (static_cast<void*>(s.resource_storage)) completion_resource;
    detail::resource_access::copy_identity(*r, *c);
    ::new (static_cast<void*>(s.callback_storage)) tether::callback_scope(*r);
  }
  // No saved context: the one the callback_scope installed (the resource's).
  ::new (static_cast<void*>(s.context_storage))
      tether::captured_context(ctx != nullptr ? *ctx : tether::captured_context::current());
  ::new (static_cast<void*>(s.context_scope_storage)) tether::context_scope(*s.context());
  ++t.open_slices;
  return true;
}

TETHER_ASIO_SLICE_ACCESS void close_top_slice() noexcept {
  thread_state& t = tls;
  slice& s = t.slices[--t.open_slices];
  std::destroy_at(s.context_scope());
  std::destroy_at(s.context());
  if (s.has_resource) {
    std::destroy_at(s.callback());  // `after`, then the state from before the slice
    completion_resource* r = s.resource();
    if (s.destroy_due) {
      detail::resource_access::mark_destroyed(*r);
      detail::emit_hook(detail::hook_event::destroy, *r);
    } else {
      detail::observer_release(*r);  // the coroutine's own destroy comes later
    }
    std::destroy_at(r);
  }
}

TETHER_ASIO_SLICE_ACCESS void close_slices_from(unsigned boundary) noexcept {
  thread_state& t = tls;
  while (t.open_slices != 0 && t.slices[t.open_slices - 1].boundary >= boundary) {
    close_top_slice();
  }
}

TETHER_ASIO_SLICE_ACCESS coroutine_resource::~coroutine_resource() {
  if (id() == 0) {
    return;  // never started: the operation that was to start it destroys
  }
  // Still running in a slice on this thread (it has just finished, and
  // co_spawn's entry point is delivering its result): `destroy` goes after
  // that slice's `after`, from its outermost one.
  thread_state& t = tls;
  bool deferred = false;
  for (unsigned i = 0; i != t.open_slices; ++i) {
    slice& s = t.slices[i];
    if (s.coroutine == id()) {
      s.coroutine = 0;
      if (!deferred) {
        s.destroy_due = true;
        deferred = true;
      }
    }
  }
  if (!deferred) {
    detail::resource_access::mark_destroyed(*this);
    detail::emit_hook(detail::hook_event::destroy, *this);
  } else {
    // The slice's copy gets the destroy (and gives back its own share).
    detail::observer_release(*this);
  }
}

awaiter_base::~awaiter_base() {
  if (detail::resource_access::observer_data(owner_) != nullptr) [[unlikely]] {
    detail::observer_release(owner_);  // the copy's share (the coroutine destroys)
  }
}

void awaiter_base::suspend(const void* thread) noexcept {
  thread_state& t = tls;
  if (t.boundary != 0 && spawn_armed(t)) {
    // co_spawn's entry point awaits the spawned coroutine: it starts now,
    // as "asio.co_spawn", with the spawner's trigger and context.
    spawned_.emplace();
    if (t.spawn_completion != nullptr && t.spawn_completion->spawn_armed(t)) {
      // Announced when co_spawn queued its start (on_creation).
      t.spawn_completion->give_identity(*spawned_);
    } else {
      // co_spawn's first dispatch ran inline: we are still in the spawner.
      t.spawn_location->take();
      tether::emit_init(*spawned_, "asio.co_spawn");
    }
    open_slice(&*spawned_, nullptr, thread);
    return;
  }
  // Whose code is suspending: the coroutine of the slice on top, if it is
  // still running there on this awaitable thread. Not when a completion's
  // callback opened since (then it is one we do not know), nor when the
  // thread differs: that is another coroutine's code, such as a coroutine
  // that co_spawn started inline inside its spawner's slice (Boost 1.74),
  // which has no identity of its own yet and must not take the spawner's.
  if (slice* s = continuable_slice(t);
      s != nullptr && s->coroutine != 0 && s->thread == thread && thread != nullptr) {
    detail::resource_access::copy_identity(owner_, *s->resource());
  }
  saved_ = tether::captured_context::current();
}

void awaiter_base::resume(const void* thread) noexcept {
  thread_state& t = tls;
  if (spawned_) {
    // The spawned coroutine has finished (returned or thrown). Its slice
    // stays open while co_spawn's entry point delivers the result, so what
    // that delivery queues is triggered by the coroutine.
    return;
  }
  if (spawn_armed(t)) {
    // co_spawn's own first co_await, resuming to start the coroutine: that
    // is the next co_await's business (suspend above).
    return;
  }
  slice* s = continuable_slice(t);
  if (s != nullptr && s->coroutine == owner_.id()) {
    // Still inside the coroutine's slice (a nested awaitable returned, or an
    // initiation completed inline): only the context goes back to what it
    // was at this co_await, so a callee's enter_with() does not leak out.
    s->thread = thread;  // Asio may have moved the awaitable thread meanwhile
    std::destroy_at(s->context_scope());
    *s->context() = saved_;
    ::new (static_cast<void*>(s->context_scope_storage)) tether::context_scope(*s->context());
    return;
  }
  if (t.boundary == 0) {
    return;  // resumed outside any completion: nothing would close a slice
  }
  open_slice(owner_.id() != 0 ? &owner_ : nullptr, &saved_, thread);
}

}  // namespace tether::detail::TETHER_ASIO_BUILD_FLAVOUR
