#pragma once
// Walking the current thread's stack: return addresses only, no symbols.
//
// The fast path follows frame pointers (x86-64: [rbp] = the caller's rbp,
// [rbp + 8] = the return address), bounded and safe: it stops at a null,
// misaligned, non-increasing or out-of-stack frame pointer. tether's own code
// is compiled with -fno-omit-frame-pointer, so the frames from the capture
// point up to the caller of emit_init are always walkable; past them, the
// stack_table decides (once per distinct stack, with the CFI in
// symbolizer.hpp) whether the walk was right, must stop early, or must be
// redone by libunwind (unwind_stack).

#include <cstddef>
#include <cstdint>

namespace tether::detail {

struct stack_bounds {
  std::uintptr_t low = 0;
  std::uintptr_t high = 0;  // 0: unknown
};

/// This thread's stack, cached after the first call (which may allocate:
/// glibc reads /proc/self/maps for the main thread).
stack_bounds current_stack_bounds() noexcept;
/// The cached bounds only (async-signal-safe); {0, UINTPTR_MAX} if unknown.
stack_bounds cached_stack_bounds() noexcept;

enum class walk_end : std::uint8_t {
  depth,      // `max` addresses taken, more frames follow
  outermost,  // a null frame pointer: the thread's first frame
  broken,     // a frame pointer that cannot be one (garbage, or a function
              // without frame pointers used the register)
};

/// Return addresses from the frame record at `frame` outwards (the first one
/// is `frame`'s own return address), skipping the first `skip`. Reads only
/// inside `bounds` (plus a sanity gap when the bounds are unknown).
/// Async-signal-safe.
std::size_t walk_frame_pointers(std::uintptr_t frame, std::size_t skip, std::uintptr_t* out,
                                std::size_t max, const stack_bounds& bounds,
                                walk_end& end) noexcept;

/// The calling function's frame record, for walk_frame_pointers.
#define TETHER_CURRENT_FRAME() reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0))

/// libunwind's unw_backtrace (loaded on first use, RTLD_LOCAL, so that its
/// _Unwind_* never replace libgcc's for C++ exceptions), returning the
/// addresses from `anchor` (a return address a frame-pointer walk found
/// first) outwards, or 0 if libunwind is unavailable or `anchor` was not
/// found. Not async-signal-safe (the first call loads the library).
std::size_t unwind_stack(std::uintptr_t anchor, std::uintptr_t* out, std::size_t max) noexcept;

/// True once unwind_stack can work (libunwind loaded and its entry found).
/// The first call loads libunwind.
bool unwinder_available() noexcept;

/// The stack of a signal context (`context`: the handler's ucontext_t*),
/// its first address the interrupted instruction itself, by libunwind (so
/// through libraries without frame pointers and from leaf functions that
/// have no frame of their own yet). Reads only memory; after
/// unwinder_available() has loaded libunwind it takes no lock, so a forked
/// crash reporter can use it. 0 if libunwind is unavailable.
std::size_t unwind_context(void* context, std::uintptr_t* out, std::size_t max) noexcept;

}  // namespace tether::detail
