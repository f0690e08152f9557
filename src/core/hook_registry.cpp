#include "core/hook_registry.hpp"

#include <algorithm>
#include <exception>
#include <new>
#include <string_view>
#include <type_traits>

#include "core/fatal.hpp"

namespace tether::detail {

constinit std::atomic<unsigned> active_hook_events{0};
constinit std::atomic<const hook_list*> published_hooks{nullptr};
constinit std::atomic<const resource_observer*> published_observer{nullptr};

namespace {
// What published_single_hooks points to until the first publish(): nothing
// takes the fast path.
constinit const single_hooks no_single_hooks{};

constexpr unsigned event_bit(hook_event e) { return 1u << static_cast<unsigned>(e); }

// hook_list::single's index for an observer that wants the events in `mask`.
unsigned observer_index(unsigned mask) {
  return ((mask & event_bit(hook_event::init)) != 0 ? 1u : 0u) |
         ((mask & event_bit(hook_event::destroy)) != 0 ? 2u : 0u);
}

// The fast path's view of `list` while the observer wants the events of
// `observed` (an observer_index): each event's one hook, unless none or
// several want it or the observer does.
void build_single(const hook_list& list, unsigned observed, single_hooks& single) {
  const auto only = [&](hook_event e) -> const hook_entry* {
    const auto& hooks = list.by_event[static_cast<unsigned>(e)];
    const bool by_observer = (observer_index(event_bit(e)) & observed) != 0;
    return hooks.size() == 1 && !by_observer ? hooks.front() : nullptr;
  };
  if (const hook_entry* e = only(hook_event::init)) {
    single.init = &e->callbacks.init;
  }
  constexpr id_callback hook_callbacks::*by_id[] = {
      &hook_callbacks::before, &hook_callbacks::after, &hook_callbacks::destroy,
      &hook_callbacks::promise_resolve};
  for (unsigned i = 1; i < hook_event_count; ++i) {
    if (const hook_entry* e = only(static_cast<hook_event>(i))) {
      single.by_id[i - 1] = &(e->callbacks.*by_id[i - 1]);
    }
  }
}
}  // namespace
constinit std::atomic<const single_hooks*> published_single_hooks{&no_single_hooks};

// The fast path casts single_hooks' pointers to these; hook_callbacks must
// hold exactly these types.
static_assert(std::is_same_v<decltype(hook_callbacks::init), init_callback>);
static_assert(std::is_same_v<decltype(hook_callbacks::before), id_callback>);
static_assert(std::is_same_v<decltype(hook_callbacks::after), id_callback>);
static_assert(std::is_same_v<decltype(hook_callbacks::destroy), id_callback>);
static_assert(std::is_same_v<decltype(hook_callbacks::promise_resolve), id_callback>);

hook_registry& hook_registry::instance() noexcept {
  // Never destroyed: other threads may still dispatch events while static
  // destructors run at exit.
  alignas(hook_registry) static unsigned char storage[sizeof(hook_registry)];
  static hook_registry* const registry = ::new (storage) hook_registry();
  return *registry;
}

hook_entry* hook_registry::create(hook_callbacks callbacks) {
  auto entry = std::make_unique<hook_entry>(std::move(callbacks));
  const std::lock_guard lock(mutex_);
  entries_.push_back(std::move(entry));
  return entries_.back().get();
}

void hook_registry::enable(hook_entry& e) {
  const std::lock_guard lock(mutex_);
  if (e.enabled.load(std::memory_order_relaxed)) {
    return;
  }
  order_.push_back(&e);
  e.enabled.store(true, std::memory_order_relaxed);
  publish();
}

void hook_registry::disable(hook_entry& e) {
  const std::lock_guard lock(mutex_);
  if (!e.enabled.load(std::memory_order_relaxed)) {
    return;
  }
  order_.erase(std::find(order_.begin(), order_.end(), &e));
  e.enabled.store(false, std::memory_order_relaxed);
  publish();
}

void hook_registry::publish() {
  auto list = std::make_unique<hook_list>();
  unsigned mask = 0;
  for (const hook_entry* e : order_) {
    const hook_callbacks& cb = e->callbacks;
    const bool has[hook_event_count] = {bool(cb.init), bool(cb.before), bool(cb.after),
                                        bool(cb.destroy), bool(cb.promise_resolve)};
    for (unsigned i = 0; i < hook_event_count; ++i) {
      if (has[i]) {
        list->by_event[i].push_back(e);
        mask |= 1u << i;
      }
    }
  }
  for (unsigned observed = 0; observed < list->single.size(); ++observed) {
    build_single(*list, observed, list->single[observed]);
  }
  // release: a reader that acquires this pointer sees the list fully built.
  published_hooks.store(list.get(), std::memory_order_release);
  lists_.push_back(std::move(list));
  hooks_mask_ = mask;
  publish_single();
  publish_mask();
}

void hook_registry::publish_single() {
  const single_hooks* single = &no_single_hooks;
  if (!lists_.empty()) {
    single = &lists_.back()->single[observer_index(observer_mask_)];
  }
  // release: pairs with dispatch_inline's acquire; the callbacks pointed to
  // were built before (create() and publish() ran under mutex_).
  published_single_hooks.store(single, std::memory_order_release);
}

void hook_registry::publish_mask() {
  // The mask is only a hint for the inline fast path (see hook_dispatch.hpp);
  // the dispatcher re-reads the list and the observer itself.
  active_hook_events.store(hooks_mask_ | observer_mask_, std::memory_order_release);
}

void hook_registry::set_observer(const resource_observer* o) noexcept {
  const std::lock_guard lock(mutex_);
  unsigned mask = 0;
  if (o != nullptr && o->init != nullptr) {
    mask |= 1u << static_cast<unsigned>(hook_event::init);
  }
  if (o != nullptr && o->destroy != nullptr) {
    mask |= 1u << static_cast<unsigned>(hook_event::destroy);
  }
  published_observer.store(o, std::memory_order_release);
  observer_mask_ = mask;
  publish_single();
  publish_mask();
}

void set_resource_observer(const resource_observer* o) noexcept {
  hook_registry::instance().set_observer(o);
}

void observer_copy(resource& to, const resource& from) noexcept {
  const resource_observer* o = published_observer.load(std::memory_order_acquire);
  if (o == nullptr || o->copy == nullptr) {
    return;
  }
  thread_state& s = tls;
  ++s.hook_depth;  // counted as a hook callback, as init and destroy are
  o->copy(to, from);
  --s.hook_depth;
}

void observer_release(resource& r) noexcept {
  if (resource_access::observer_data(r) == nullptr) {
    return;
  }
  const resource_observer* o = published_observer.load(std::memory_order_acquire);
  if (o == nullptr || o->destroy == nullptr) {
    return;
  }
  thread_state& s = tls;
  ++s.hook_depth;
  o->destroy(r);
  --s.hook_depth;
}

namespace {

constexpr std::string_view event_names[hook_event_count] = {"init", "before", "after", "destroy",
                                                            "promise_resolve"};

template <hook_event E>
void call(const hook_entry& h, resource& r) {
  const hook_callbacks& cb = h.callbacks;
  if constexpr (E == hook_event::init) {
    cb.init(r.id(), r.type(), r.trigger_id(), r);
  } else if constexpr (E == hook_event::before) {
    cb.before(r.id());
  } else if constexpr (E == hook_event::after) {
    cb.after(r.id());
  } else if constexpr (E == hook_event::destroy) {
    cb.destroy(r.id());
  } else {
    cb.promise_resolve(r.id());
  }
}

}  // namespace

template <hook_event E>
void dispatch(resource& r) noexcept {
  // A resource created while a hook callback ran on its thread stays
  // invisible for its whole life: logging from a hook that creates resources
  // can never recurse. Events of visible resources are delivered even from
  // inside a hook callback (say, one destroyed there), so every init still
  // gets its destroy.
  if (resource_access::hidden(r)) {
    return;
  }
  // acquire: pairs with publish()'s release store, so the list's contents
  // (and the entries' callbacks) are visible here.
  const hook_list* list = published_hooks.load(std::memory_order_acquire);
  const resource_observer* observer = nullptr;
  if constexpr (E == hook_event::init || E == hook_event::destroy) {
    observer = published_observer.load(std::memory_order_acquire);
  }
  if (list == nullptr && observer == nullptr) {
    return;
  }
  constexpr auto index = static_cast<unsigned>(E);
  thread_state& s = tls;
  ++s.hook_depth;
  // The observer sees init first and destroy last, so whatever it keeps for
  // a resource exists for as long as any hook may look at the resource.
  if constexpr (E == hook_event::init) {
    if (observer != nullptr && observer->init != nullptr) {
      observer->init(r);
    }
  }
  if (list != nullptr) {
    for (const hook_entry* h : list->by_event[index]) {
      try {
        call<E>(*h, r);
      } catch (...) {
        hook_threw(E, r);
      }
    }
  }
  if constexpr (E == hook_event::destroy) {
    if (observer != nullptr && observer->destroy != nullptr) {
      observer->destroy(r);
    }
  }
  --s.hook_depth;
}

void hook_threw(hook_event e, const resource& r) noexcept {
  const std::string_view name = event_names[static_cast<unsigned>(e)];
  try {
    throw;  // called from a catch block: the exception being handled
  } catch (const std::exception& ex) {
    fatal_hook_exception(name, r.type(), r.id(), ex.what());
  } catch (...) {
    fatal_hook_exception(name, r.type(), r.id(), "unknown exception");
  }
}

template void dispatch<hook_event::init>(resource&) noexcept;
template void dispatch<hook_event::before>(resource&) noexcept;
template void dispatch<hook_event::after>(resource&) noexcept;
template void dispatch<hook_event::destroy>(resource&) noexcept;
template void dispatch<hook_event::promise_resolve>(resource&) noexcept;

}  // namespace tether::detail

namespace tether {

async_hook create_hook(hook_callbacks callbacks) {
  return async_hook(detail::hook_registry::instance().create(std::move(callbacks)));
}

async_hook& async_hook::operator=(async_hook&& other) noexcept {
  if (this != &other) {
    disable();
    entry_ = std::exchange(other.entry_, nullptr);
  }
  return *this;
}

async_hook::~async_hook() { disable(); }

async_hook& async_hook::enable() & {
  if (entry_ == nullptr) {
    throw usage_error(
        "tether: async_hook::enable() called on a moved-from or default-constructed hook; "
        "enable the hook it was moved to, or assign one from create_hook()");
  }
  detail::hook_registry::instance().enable(*entry_);
  return *this;
}

async_hook async_hook::enable() && {
  enable();  // *this is an lvalue here: the overload above
  return std::move(*this);
}

async_hook& async_hook::disable() {
  if (entry_ != nullptr) {
    detail::hook_registry::instance().disable(*entry_);
  }
  return *this;
}

bool async_hook::enabled() const noexcept {
  return entry_ != nullptr && entry_->enabled.load(std::memory_order_relaxed);
}

}  // namespace tether
