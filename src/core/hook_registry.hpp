#pragma once
// The process-wide set of enabled hooks.
//
// Readers (every event on every thread) take no lock: they load one published,
// immutable hook_list with acquire ordering and iterate it. Writers
// (enable/disable, rare) serialise on a mutex, build a new hook_list and
// publish it with release ordering.
//
// Retirement: a reader on another thread may still be iterating an old list
// after a writer replaced it, and the readers' fast path has no room for a
// reference count or an epoch announcement. So replaced lists, and the
// entries they point to, are kept until the process exits. Each enable() or
// disable() retains one small vector per event kind; programs toggle hooks a
// handful of times, so this is bounded in practice (docs/semantics.md).

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/detail/hook_dispatch.hpp>

namespace tether::detail {

struct hook_entry {
  explicit hook_entry(hook_callbacks cb) : callbacks(std::move(cb)) {}
  hook_callbacks callbacks;
  std::atomic<bool> enabled{false};  // relaxed reads in async_hook::enabled()
};

/// One immutable snapshot: for each event, the enabled hooks that have a
/// callback for it, in enable order; and the inline fast path's view of it
/// (the callback to call directly when exactly one hook wants an event), one
/// per combination of observer events, indexed by `observer_index`: an event
/// the observer wants goes through dispatch<E>, which runs both in order.
/// Setting an observer then only repoints published_single_hooks, which
/// needs no allocation.
struct hook_list {
  std::array<std::vector<const hook_entry*>, hook_event_count> by_event;
  std::array<single_hooks, 4> single;
};

class hook_registry {
 public:
  static hook_registry& instance() noexcept;

  hook_entry* create(hook_callbacks callbacks);
  void enable(hook_entry& e);
  void disable(hook_entry& e);
  void set_observer(const resource_observer* o) noexcept;

 private:
  hook_registry() = default;
  void publish();         // requires mutex_
  void publish_single();  // requires mutex_
  void publish_mask();    // requires mutex_

  std::mutex mutex_;
  std::vector<hook_entry*> order_;                   // enabled, in enable order; guarded by mutex_
  std::vector<std::unique_ptr<hook_entry>> entries_;  // every entry ever created; guarded by mutex_
  std::vector<std::unique_ptr<hook_list>> lists_;     // every list ever published; guarded by mutex_
  unsigned hooks_mask_ = 0;     // events some enabled hook wants; guarded by mutex_
  unsigned observer_mask_ = 0;  // events the observer wants; guarded by mutex_
};

/// The list readers use. A namespace-scope constinit atomic rather than a
/// registry member, so dispatch reaches it without the registry's lazy-init
/// guard. Written by hook_registry::publish() under its mutex.
extern constinit std::atomic<const hook_list*> published_hooks;
/// The resource observer, if any. Written by set_observer() under the mutex.
extern constinit std::atomic<const resource_observer*> published_observer;

}  // namespace tether::detail
