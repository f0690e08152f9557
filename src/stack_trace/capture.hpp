#pragma once
// The capture path: the options in force, the resource observer that records
// a creation stack at every init (and drops it at destroy), and the one
// function that walks and interns a stack, used by the observer and by
// async_stack_trace() alike.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <tether/stack_trace.hpp>

#include "stack_trace/stack_table.hpp"

namespace tether::detail {

/// The options, readable on the capture path without a lock (each field
/// relaxed: a capture that races with set_stack_trace_options sees old or
/// new values, both valid).
struct capture_settings {
  std::atomic<bool> enabled{false};
  std::atomic<std::uint32_t> frames{16};
  std::atomic<std::uint32_t> hops{16};
  std::atomic<std::uint32_t> sample_every{1};
  std::atomic<stack_walk> walk{stack_walk::automatic};
  std::atomic<bool> show_internal_frames{false};
};
extern constinit capture_settings settings;

/// The stack from the frame record `frame` outwards, skipping `skip` return
/// addresses, interned with `type`: walked and checked as
/// settings.walk says (libunwind when the walk cannot be trusted). Null if
/// memory ran out.
interned_stack* capture_stack(std::uintptr_t frame, std::size_t skip, std::string_view type) noexcept;

/// Installs the exception paths (note hook, terminate handler); idempotent.
void install_exception_paths() noexcept;

}  // namespace tether::detail
