// promise<T>: the out-of-line half. Reaction scheduling, the reclamation
// trampoline (destroy / dead / abandon, iterative so that long chains never
// recurse), the per-thread frame cache, handing a rejection nothing handles
// to the loop (unhandled_rejections.cpp reports it), delay() and
// aggregate_error.

#include <tether/promise.hpp>

#include <cstdlib>
#include <string>

#include <tether/event_loop.hpp>
#include <tether/timers.hpp>

#include "core/fatal.hpp"
#include "runtime/exception_what.hpp"
#include "runtime/loop_core.hpp"

namespace tether::detail {

// --- the loop -------------------------------------------------------------------

namespace {

loop_core& loop_or_die() noexcept {
  loop_core* l = current_core_if_any();
  if (l == nullptr) [[unlikely]] {
    fatal("tether: fatal: a promise settled on a thread with no event_loop; promises, their "
          "reactions and coroutines belong to the thread that runs their event_loop");
  }
  return *l;
}

}  // namespace

void require_loop() { (void)current_core(); }

std::exception_ptr non_null(std::exception_ptr e) noexcept {
  if (e) {
    return e;
  }
  return std::make_exception_ptr(
      usage_error("tether: a promise was rejected with a null std::exception_ptr"));
}

void reject_cycle(promise_base& s) noexcept {
  s.error = std::make_exception_ptr(
      usage_error("tether: chaining cycle detected: a promise cannot follow itself"));
  settle(s, promise_status::rejected);
}

// --- reclamation trampoline -------------------------------------------------------

namespace {

enum : std::uint8_t { work_none, work_destroy, work_dead, work_abandon };

struct work_queue {
  intrusive_list<promise_base, reclaim_tag> items;
  bool active = false;
};
constinit thread_local work_queue tls_work{};

void do_work(promise_base& p, std::uint8_t kind) noexcept {
  switch (kind) {
    case work_destroy:
      resource_access::mark_destroyed(p);
      emit_hook(hook_event::destroy, p);
      p.destroy_fn(&p);
      break;
    case work_dead: {
      // p can never settle: nothing waiting on it will ever run.
      // Each is unlinked before its call, the rest stay in `reactions` (so an
      // awaiter going away meanwhile still finds and unlinks its node).
      while (reaction* r = p.reactions.pop_front()) {
        r->ops->dead(*r);
      }
      release(&p);  // taken by promise_dead
      break;
    }
    case work_abandon:
      release_settler(p);  // the body was its settler
      release(&p);         // and held a reference
      break;
    default:
      break;
  }
}

void enqueue_work(work_queue& q, promise_base& p, std::uint8_t kind) noexcept {
  p.work = kind;
  q.items.push_back(p);
}

// Runs what the first item queued, until nothing is left (q.active is set).
void drain_work(work_queue& q) noexcept {
  while (promise_base* n = q.items.pop_front()) {
    do_work(*n, std::exchange(n->work, work_none));
  }
}

void run_work(promise_base& p, std::uint8_t kind) noexcept {
  work_queue& q = tls_work;
  if (q.active) {
    enqueue_work(q, p, kind);
    return;
  }
  q.active = true;
  do_work(p, kind);
  drain_work(q);
  q.active = false;
}

}  // namespace

void destroy_promise(promise_base& p) noexcept {
  work_queue& q = tls_work;
  if (q.active) {
    enqueue_work(q, p, work_destroy);
    return;
  }
  // Not nested in another reclamation: destroy now; what that releases in
  // turn is queued and handled here, iteratively.
  q.active = true;
  resource_access::mark_destroyed(p);
  emit_hook(hook_event::destroy, p);
  p.destroy_fn(&p);
  drain_work(q);
  q.active = false;
}

void promise_dead(promise_base& p) noexcept {
  if (p.reactions.empty()) {
    return;  // nothing waits on it (yet; attach() checks for deadness)
  }
  add_ref(p);
  run_work(p, work_dead);
}

void abandon_coroutine(promise_base& c) noexcept { run_work(c, work_abandon); }

// --- settling and reactions --------------------------------------------------------

namespace {

void track_unhandled(promise_base& p) noexcept {
  if (loop_core* l = current_core_if_any()) {
    l->track_rejection(p);
  }
}

}  // namespace

void settle_slow(promise_base& p) noexcept {
  if (p.reactions.empty()) {
    if (p.status == promise_status::rejected && !p.handled) {
      track_unhandled(p);
    }
    return;
  }
  while (reaction* r = p.reactions.pop_front()) {  // as in do_work's work_dead
    r->ops->settled(*r, p);
  }
}

void attach(promise_base& p, reaction& r) noexcept {
  p.handled = true;
  if (p.status != promise_status::pending) {
    r.ops->settled(r, p);
  } else if (p.settlers == 0) {
    r.ops->dead(r);
  } else {
    p.reactions.push_back(r);
  }
}

namespace {

// Promise jobs go through loop_core::push_raw_reaction: a function pointer
// runs inside the target's callback_scope, `done` after the scope has closed
// (or instead of running, when the loop discards the job). A reference on the
// target is held until `done`, so the scope never outlives its resource.

// schedule_job(): arg is the reaction node, target the promise it runs in.
void node_job_run(void* arg) {
  auto* r = static_cast<reaction*>(arg);
  r->ops->run(*r);
}
void node_job_done(resource& target, void* arg, bool ran) noexcept {
  if (!ran) {
    auto* r = static_cast<reaction*>(arg);
    r->ops->dropped(*r);
  }
  release(&static_cast<promise_base&>(target));
}
constexpr raw_reaction node_job{&node_job_run, &node_job_done, nullptr};

// A tether coroutine resumed inside its own PROMISE (target); arg is its
// await_node. Discarded unrun (loop teardown): the coroutine is reclaimed.
void resume_run(void* arg) { static_cast<await_node*>(arg)->handle.resume(); }
void resume_done(resource& target, void*, bool ran) noexcept {
  auto& owner = static_cast<promise_base&>(target);
  if (!ran) {
    abandon_coroutine(owner);
  }
  release(&owner);
}
// Queued only to give the coroutine up (it awaited a promise that can never
// settle), after its await_suspend has returned.
void abandon_run(void*) {}
void abandon_done(resource& target, void*, bool) noexcept {
  auto& owner = static_cast<promise_base&>(target);
  abandon_coroutine(owner);
  release(&owner);
}

/// The throwaway PROMISE of an await from a coroutine type that is not
/// tether's (Node's model: trigger = the awaited promise, the continuation
/// runs in its before/after).
struct foreign_await final : resource {
  std::coroutine_handle<> h;
  await_node* node = nullptr;
};

void free_foreign(foreign_await* fa) noexcept {
  if (fa->node != nullptr) {
    fa->node->foreign = nullptr;
  }
  resource_access::mark_destroyed(*fa);
  emit_hook(hook_event::destroy, *fa);
  fa->~foreign_await();
  cached_free(fa, sizeof(foreign_await));
}

// A foreign coroutine resumed inside its throwaway resource (target == arg).
void foreign_run(void* arg) {
  if (std::coroutine_handle<> h = std::exchange(static_cast<foreign_await*>(arg)->h, nullptr)) {
    h.resume();
  }
}
void foreign_done(resource&, void* arg, bool) noexcept {
  free_foreign(static_cast<foreign_await*>(arg));
}

void await_settled(reaction& r, promise_base&) noexcept {
  auto& n = static_cast<await_node&>(r);
  loop_core& loop = loop_or_die();
  if (n.owner != nullptr) {
    add_ref(*n.owner);
    loop.push_raw_reaction(*n.owner, raw_reaction{&resume_run, &resume_done, &n});
  } else if (auto* fa = static_cast<foreign_await*>(n.foreign)) {
    loop.push_raw_reaction(*fa, raw_reaction{&foreign_run, &foreign_done, fa});
  }
}

void await_dead(reaction& r) noexcept {
  auto& n = static_cast<await_node&>(r);
  if (n.owner != nullptr) {
    abandon_coroutine(*n.owner);
  } else if (auto* fa = static_cast<foreign_await*>(n.foreign)) {
    // A foreign coroutine is not ours to reclaim; it stays suspended.
    free_foreign(fa);
  }
}

void await_unused(reaction&) noexcept {}

constexpr reaction_ops await_ops{&await_settled, &await_dead, &await_unused, &await_unused};

// The await chain (detail/diagnostics.hpp): the first tether coroutine that
// waits for `r`. Reads only, so a fatal-signal handler may call it too.
bool find_awaiter(const resource& r, await_link& out) noexcept {
  if (!resource_access::awaitable(r)) {
    return false;
  }
  const auto& p = static_cast<const promise_base&>(r);
  for (const reaction& n : p.reactions) {
    if (n.ops == &await_ops) {
      const auto& node = static_cast<const await_node&>(n);
      if (node.owner != nullptr) {
        out.awaiter = node.owner;
        out.resume_address = node.resume_address;
        return true;
      }
    }
  }
  return false;
}

[[maybe_unused]] const bool await_walker_installed = [] {
  await_walker.store(&find_awaiter, std::memory_order_release);
  return true;
}();

}  // namespace

void schedule_job(promise_base& target, reaction& r) noexcept {
  add_ref(target);
  raw_reaction job = node_job;
  job.arg = &r;
  loop_or_die().push_raw_reaction(target, job);
}

void await_on(promise_base* awaited, await_node& n) {
  if (awaited == nullptr) {
    throw usage_error("tether: co_await on an empty promise handle (default-constructed or "
                      "moved-from)");
  }
  loop_core* lp = current_core_if_any();
  if (lp == nullptr) [[unlikely]] {
    (void)current_core();  // throws usage_error, rethrown at the co_await
  }
  loop_core& loop = *lp;
  n.ops = &await_ops;
  n.resume_address = __builtin_return_address(0);
  thread_state& s = tls;
  if (n.owner != nullptr) {
    // The coroutine continues, inside its own resource, with the context
    // current now (Node 65: captured at await registration).
    if (resource_access::frame(*n.owner) != s.frame) [[unlikely]] {
      resource_access::capture_frame(*n.owner, s.frame);
    }
    if (awaited->status != promise_status::pending) {
      // The common case (awaiting a coroutine that already finished): queue
      // the resumption now, as attach() would.
      awaited->handled = true;
      add_ref(*n.owner);
      loop.push_raw_reaction(*n.owner, raw_reaction{&resume_run, &resume_done, &n});
      return;
    }
    if (awaited->dead()) {
      // It can never settle: give the coroutine up, but not from inside its
      // own await_suspend.
      awaited->handled = true;
      add_ref(*n.owner);
      loop.push_raw_reaction(*n.owner, raw_reaction{&abandon_run, &abandon_done, &n});
      return;
    }
  } else {
    void* mem = cached_alloc(sizeof(foreign_await));
    auto* fa = ::new (mem) foreign_await();
    fa->h = n.handle;
    fa->node = &n;
    n.foreign = fa;
    emit_init(*fa, promise_type_name, awaited->id());
  }
  attach(*awaited, n);
}

void await_node_cleanup(await_node& n, promise_base& awaited) noexcept {
  if (awaited.status == promise_status::pending) {
    if (intrusive_list<reaction>::linked(n)) {  // not yet given up as dead
      awaited.reactions.erase(n);
    }
    if (auto* fa = static_cast<foreign_await*>(n.foreign)) {
      free_foreign(fa);  // never scheduled
      return;
    }
  }
  if (auto* fa = static_cast<foreign_await*>(n.foreign)) {
    // Its job owns it now; just forget each other.
    fa->node = nullptr;
    fa->h = nullptr;
    n.foreign = nullptr;
  }
}

}  // namespace tether::detail

namespace tether {

namespace {

std::string aggregate_message(const std::vector<std::exception_ptr>& errors) {
  std::string m = "All promises were rejected";
  const char* sep = ": ";
  for (const std::exception_ptr& e : errors) {
    m += sep;
    sep = "; ";
    m += detail::exception_what(e, "(an exception not derived from std::exception)");
  }
  return m;
}

}  // namespace

aggregate_error::aggregate_error(std::vector<std::exception_ptr> errors)
    : std::runtime_error(aggregate_message(errors)), errors_(std::move(errors)) {}

promise<void> delay(std::chrono::milliseconds ms) {
  auto [p, r] = make_promise<void>();
  set_timeout([r = std::move(r)]() mutable { r.resolve(); }, ms);
  return std::move(p);
}

}  // namespace tether
