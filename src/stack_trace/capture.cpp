#include "stack_trace/capture.hpp"

#include <mutex>
#include <string>

#include <tether/detail/hook_dispatch.hpp>
#include <tether/detail/thread_state.hpp>
#include <tether/error.hpp>

#include "stack_trace/records.hpp"
#include "stack_trace/stack_walk.hpp"

namespace tether::detail {

constinit capture_settings settings{};

namespace {

constexpr std::size_t max_frames = 64;
constexpr std::size_t max_hops = 64;

constinit thread_local std::uint32_t tls_sample_counter = 0;

void observe_init(resource& r) noexcept;
void observe_destroy(resource& r) noexcept;
void observe_copy(resource& to, const resource& from) noexcept;

// Enabled: capture at init, release at destroy. Disabled after having been
// enabled: release only (resources initialised meanwhile still hold records),
// so an init costs nothing again. Never removed: an observer removed while
// records are alive would leak them.
constexpr resource_observer capturing_observer{&observe_init, &observe_destroy, &observe_copy};
constexpr resource_observer releasing_observer{nullptr, &observe_destroy, &observe_copy};

void observe_init(resource& r) noexcept {
  void*& slot = resource_access::observer_data(r);
  if (slot != nullptr) {  // initialised again without a destroy
    release(record_of(std::exchange(slot, nullptr)));
  }
  const std::uint32_t hops = settings.hops.load(std::memory_order_relaxed);
  if (hops == 0) {
    return;
  }
  // The hop before this one: the resource whose callback runs now.
  const resource* current = tls.current;
  trace_record* parent = current != nullptr
                             ? record_of(resource_access::observer_data(*current))
                             : nullptr;
  const std::uint32_t every = settings.sample_every.load(std::memory_order_relaxed);
  if (every > 1 && ++tls_sample_counter % every != 0) {
    if (parent != nullptr) {
      retain(*parent);
      slot = slot_of(parent, true);
    }
    count(counter::sampled_out);
    return;
  }
  // Skip the return address into the dispatcher: the first one kept is the
  // integrator's (emit_init's caller).
  interned_stack* stack = capture_stack(TETHER_CURRENT_FRAME(), 1, r.type());
  if (trace_record* record = make_record(stack, r.id(), parent, hops)) {
    slot = slot_of(record, false);
  }
}

void observe_destroy(resource& r) noexcept {
  void*& slot = resource_access::observer_data(r);
  if (slot != nullptr) {
    release(record_of(std::exchange(slot, nullptr)));
  }
}

// A copy of `from`'s identity (an Asio hand-off or coroutine slice) is the
// same hop: one more reference to the same record, so a trace taken in the
// copy's callback shows the chain (core released `to`'s own slot first).
void observe_copy(resource& to, const resource& from) noexcept {
  void* from_slot = resource_access::observer_data(from);
  trace_record* record = record_of(from_slot);
  if (record == nullptr) {
    return;
  }
  retain(*record);
  resource_access::observer_data(to) = slot_of(record, inherited(from_slot));
}

std::mutex options_mutex;
bool observer_installed = false;  // guarded by options_mutex

void check_range(std::string_view field, std::size_t value, std::size_t low, std::size_t high) {
  if (value < low || value > high) {
    throw usage_error("tether: stack_trace_options::" + std::string(field) + " is " +
                      std::to_string(value) + "; it must be between " + std::to_string(low) +
                      " and " + std::to_string(high));
  }
}

}  // namespace

interned_stack* capture_stack(std::uintptr_t frame, std::size_t skip, std::string_view type) noexcept {
  const std::size_t frames = settings.frames.load(std::memory_order_relaxed);
  const stack_walk walk = settings.walk.load(std::memory_order_relaxed);
  std::uintptr_t addresses[max_frames];
  walk_end end = walk_end::broken;
  const std::size_t n =
      walk_frame_pointers(frame, skip, addresses, frames, current_stack_bounds(), end);
  count(counter::captures);
  stack_table& table = stack_table::instance();

  stack_key key{addresses, n, type, interned_stack::kind::frame_walk, end == walk_end::depth};
  if (walk == stack_walk::frame_pointers) {
    key.kind = interned_stack::kind::frame_walk_only;
  }
  interned_stack* stack = nullptr;
  if (walk != stack_walk::libunwind) {
    stack = table.intern(key);
    if (stack == nullptr || !stack->needs_unwinder()) {
      return stack;
    }
  }
  // libunwind: asked for, or this walk went past a function of the program
  // that has no frame pointer (see stack_table.hpp).
  std::uintptr_t unwound[max_frames];
  const std::size_t m = n > 0 ? unwind_stack(addresses[0], unwound, frames) : 0;
  if (m == 0) {
    // No libunwind: the checked walk (its right part) is all there is.
    return stack != nullptr ? stack : table.intern(key);
  }
  count(counter::unwinder_captures);
  table.release(stack);
  return table.intern({unwound, m, type, interned_stack::kind::exact, false});
}

}  // namespace tether::detail

namespace tether {

void set_stack_trace_options(const stack_trace_options& options) {
  using namespace detail;
  check_range("frames", options.frames, 1, max_frames);
  check_range("hops", options.hops, 0, max_hops);
  check_range("sample_every", options.sample_every, 1, 0xffffffffu);
  if (options.walk != stack_walk::automatic && options.walk != stack_walk::frame_pointers &&
      options.walk != stack_walk::libunwind) {
    throw usage_error("tether: stack_trace_options::walk is not a stack_walk value");
  }
  const std::lock_guard lock(options_mutex);
  settings.frames.store(static_cast<std::uint32_t>(options.frames), std::memory_order_relaxed);
  settings.hops.store(static_cast<std::uint32_t>(options.hops), std::memory_order_relaxed);
  settings.sample_every.store(options.sample_every, std::memory_order_relaxed);
  settings.walk.store(options.walk, std::memory_order_relaxed);
  settings.show_internal_frames.store(options.show_internal_frames, std::memory_order_relaxed);
  settings.enabled.store(options.enabled, std::memory_order_relaxed);
  if (options.enabled) {
    install_exception_paths();
    set_resource_observer(&capturing_observer);
    observer_installed = true;
  } else if (observer_installed) {
    set_resource_observer(&releasing_observer);
  }
}

stack_trace_options get_stack_trace_options() {
  using detail::settings;
  stack_trace_options o;
  o.enabled = settings.enabled.load(std::memory_order_relaxed);
  o.frames = settings.frames.load(std::memory_order_relaxed);
  o.hops = settings.hops.load(std::memory_order_relaxed);
  o.sample_every = settings.sample_every.load(std::memory_order_relaxed);
  o.walk = settings.walk.load(std::memory_order_relaxed);
  o.show_internal_frames = settings.show_internal_frames.load(std::memory_order_relaxed);
  return o;
}

stack_trace_stats get_stack_trace_stats() {
  using namespace detail;
  stack_trace_stats s;
  s.captures = total(counter::captures);
  s.unwinder_captures = total(counter::unwinder_captures);
  s.sampled_out = total(counter::sampled_out);
  const std::uint64_t made = total(counter::records_made);
  const std::uint64_t freed = total(counter::records_freed);
  s.live_records = made > freed ? made - freed : 0;
  s.live_stacks = stack_table::instance().live();
  s.stack_bytes = stack_table::instance().live_bytes();
  return s;
}

}  // namespace tether
