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

namespace tether::detail::TETHER_ASIO_BUILD_FLAVOUR {
namespace {

slice* top_slice(thread_state& t) noexcept {
  return t.open_slices != 0 ? &t.slices[t.open_slices - 1] : nullptr;
}

// The slice that may be continued or given a new context: on top, and
// nothing (no completion's callback) opened above it since.
slice* continuable_slice(thread_state& t) noexcept {
  slice* s = top_slice(t);
  return s != nullptr && s->scopes == t.scopes ? s : nullptr;
}

// Closes every slice from the top down to the innermost one of `c`, if `c`
// has one open on this thread. Those above it are slices of coroutines that
// `c` resumed inline and that have suspended since.
void close_down_to(thread_state& t, const coroutine_resource* c) noexcept {
  for (unsigned i = t.open_slices; i != 0; --i) {
    if (t.slices[i - 1].coroutine == c) {
      while (t.open_slices >= i) {
        close_top_slice();
      }
      return;
    }
  }
}

// A spawn start armed at this depth: the operation that starts a co_spawn'ed
// coroutine is invoking (spawn_completion), or co_spawn's first dispatch runs
// inline inside its initiation (spawn_location).
bool spawn_armed(const thread_state& t) noexcept {
  return (t.spawn_completion != nullptr && t.spawn_completion->spawn_armed(t)) ||
         (t.spawn_location != nullptr && t.spawn_location->armed(t));
}

}  // namespace

bool open_slice(coroutine_resource* c, const tether::captured_context* ctx) noexcept {
  thread_state& t = tls;
  if (t.open_slices == max_open_slices) [[unlikely]] {
    ++t.slice_overflows;
    return false;
  }
  slice& s = t.slices[t.open_slices];
  s.coroutine = c;
  s.boundary = t.boundary;
  s.scopes = t.scopes;
  if (c != nullptr) {
    ::new (static_cast<void*>(s.callback_storage)) tether::callback_scope(*c);
  }
  // No saved context: the one the callback_scope installed (the resource's).
  ::new (static_cast<void*>(s.context_storage))
      tether::captured_context(ctx != nullptr ? *ctx : tether::captured_context::current());
  ::new (static_cast<void*>(s.context_scope_storage)) tether::context_scope(*s.context());
  ++t.open_slices;
  return true;
}

void close_top_slice() noexcept {
  thread_state& t = tls;
  slice& s = t.slices[--t.open_slices];
  std::destroy_at(s.context_scope());
  std::destroy_at(s.context());
  if (s.coroutine != nullptr) {
    std::destroy_at(s.callback());  // `after`, then the state from before the slice
  }
}

coroutine_resource::~coroutine_resource() {
  if (id() == 0) {
    return;
  }
  // Normally closed when the coroutine finished (awaiter_base::resume); a
  // coroutine abandoned while it ran (its frame destroyed by an exception
  // escaping the io_context) may still have one here.
  close_down_to(tls, this);
  if (!destroyed()) {
    detail::resource_access::mark_destroyed(*this);
    detail::emit_hook(detail::hook_event::destroy, *this);
  }
}

void awaiter_base::suspend() noexcept {
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
    open_slice(&*spawned_, nullptr);
    return;
  }
  // Whose code is suspending: the coroutine of the slice on top, unless a
  // completion's callback opened since (then it is one we do not know).
  if (slice* s = continuable_slice(t)) {
    owner_ = s->coroutine;
  }
  saved_ = tether::captured_context::current();
}

void awaiter_base::resume() noexcept {
  thread_state& t = tls;
  if (spawned_) {
    // The spawned coroutine has finished (returned or thrown): its last
    // slice ends; co_spawn's entry point continues in what resumed it.
    close_down_to(t, &*spawned_);
    return;
  }
  if (spawn_armed(t)) {
    // co_spawn's own first co_await, resuming to start the coroutine: that
    // is the next co_await's business (suspend above).
    return;
  }
  slice* s = continuable_slice(t);
  if (s != nullptr && s->coroutine == owner_) {
    // Still inside the coroutine's slice (a nested awaitable returned, or an
    // initiation completed inline): only the context goes back to what it
    // was at this co_await, so a callee's enter_with() does not leak out.
    std::destroy_at(s->context_scope());
    *s->context() = saved_;
    ::new (static_cast<void*>(s->context_scope_storage)) tether::context_scope(*s->context());
    return;
  }
  if (t.boundary == 0) {
    return;  // resumed outside any completion: nothing would close a slice
  }
  open_slice(owner_, &saved_);
}

}  // namespace tether::detail::TETHER_ASIO_BUILD_FLAVOUR
