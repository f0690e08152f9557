#include "stack_trace/stack_walk.hpp"

#define UNW_LOCAL_ONLY
#include <dlfcn.h>
#include <libunwind.h>
#include <pthread.h>

#include <cstdint>
#include <limits>

namespace tether::detail {
namespace {

constinit thread_local stack_bounds tls_bounds{};

// With unknown bounds, one frame may be at most this far above the previous
// one: larger gaps are garbage (real frames are far smaller, and a thread's
// stack is at most a few MiB).
constexpr std::uintptr_t max_unbounded_frame_gap = std::uintptr_t{1} << 20;

constexpr std::uintptr_t lowest_code_address = 4096;

#define TETHER_NAME_OF(x) TETHER_NAME_OF_EXPANDED(x)
#define TETHER_NAME_OF_EXPANDED(x) #x

/// The libunwind entry points used, looked up in the library loaded locally.
/// (The header only names them: unw_step is a macro for _ULx86_64_step.)
struct unwinder_api {
  int (*backtrace)(void** buffer, int size) = nullptr;
  int (*init_local2)(unw_cursor_t* cursor, unw_context_t* context, int flags) = nullptr;
  int (*step)(unw_cursor_t* cursor) = nullptr;
  int (*get_reg)(unw_cursor_t* cursor, unw_regnum_t reg, unw_word_t* value) = nullptr;
};

template <class F>
void find(void* library, const char* name, F& f) noexcept {
  f = reinterpret_cast<F>(::dlsym(library, name));
}

unwinder_api load_unwinder() noexcept {
  // RTLD_LOCAL: Debian's libunwind.so.8 also defines _Unwind_RaiseException
  // and friends; linked normally it would take over C++ exception unwinding
  // for the whole process. Loaded locally, only these pointers reach it.
  unwinder_api api;
  void* library = ::dlopen(TETHER_LIBUNWIND_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (library != nullptr) {
    find(library, "unw_backtrace", api.backtrace);
    find(library, TETHER_NAME_OF(unw_init_local2), api.init_local2);
    find(library, TETHER_NAME_OF(unw_step), api.step);
    find(library, TETHER_NAME_OF(unw_get_reg), api.get_reg);
  }
  return api;
}

const unwinder_api& unwinder() noexcept {
  static const unwinder_api api = load_unwinder();
  return api;
}

}  // namespace

stack_bounds current_stack_bounds() noexcept {
  stack_bounds& b = tls_bounds;
  if (b.high == 0) {
    pthread_attr_t attr;
    if (::pthread_getattr_np(::pthread_self(), &attr) == 0) {
      void* base = nullptr;
      std::size_t size = 0;
      if (::pthread_attr_getstack(&attr, &base, &size) == 0 && base != nullptr) {
        b.low = reinterpret_cast<std::uintptr_t>(base);
        b.high = b.low + size;
      }
      ::pthread_attr_destroy(&attr);
    }
    if (b.high == 0) {
      b.high = std::numeric_limits<std::uintptr_t>::max();
    }
  }
  return b;
}

stack_bounds cached_stack_bounds() noexcept {
  const stack_bounds& b = tls_bounds;
  if (b.high == 0) {
    return {0, std::numeric_limits<std::uintptr_t>::max()};
  }
  return b;
}

// No sanitizer instrumentation: a frame pointer that turns out to be garbage
// may point into a poisoned part of the stack; the checks below keep every
// read inside the stack, which is all that matters.
__attribute__((no_sanitize("address", "thread", "undefined"))) std::size_t walk_frame_pointers(
    std::uintptr_t frame, std::size_t skip, std::uintptr_t* out, std::size_t max,
    const stack_bounds& bounds, walk_end& end) noexcept {
  constexpr std::uintptr_t record_size = 2 * sizeof(std::uintptr_t);
  const bool bounded = bounds.high != std::numeric_limits<std::uintptr_t>::max();
  std::size_t n = 0;
  end = walk_end::broken;
  for (;;) {
    if (frame == 0) {
      end = walk_end::outermost;
      return n;
    }
    if (frame % sizeof(std::uintptr_t) != 0 || frame < bounds.low ||
        frame > bounds.high - record_size) {
      return n;
    }
    const auto* record = reinterpret_cast<const std::uintptr_t*>(frame);
    const std::uintptr_t next = record[0];
    const std::uintptr_t ret = record[1];
    if (ret < lowest_code_address) {
      // The thread's entry frame holds zeros (glibc's clone and _start).
      if (ret == 0 && next == 0) {
        end = walk_end::outermost;
      }
      return n;
    }
    if (skip > 0) {
      --skip;
    } else {
      if (n == max) {
        end = walk_end::depth;
        return n;
      }
      out[n++] = ret;
    }
    if (next != 0 && (next <= frame || (!bounded && next - frame > max_unbounded_frame_gap))) {
      return n;
    }
    frame = next;
  }
}

std::size_t unwind_stack(std::uintptr_t anchor, std::uintptr_t* out, std::size_t max) noexcept {
  const auto backtrace = unwinder().backtrace;
  if (backtrace == nullptr) {
    return 0;
  }
  // The first entries are this function and the capture machinery above it;
  // the anchor (found by the frame-pointer walk through those, which always
  // have frame pointers) is where the caller's stack starts.
  constexpr int leading = 16;
  constexpr int capacity = 64 + leading;
  void* buffer[capacity];
  const int limit = static_cast<int>(max) + leading < capacity ? static_cast<int>(max) + leading
                                                              : capacity;
  const int got = backtrace(buffer, limit);
  for (int i = 0; i < got && i < leading; ++i) {
    if (reinterpret_cast<std::uintptr_t>(buffer[i]) == anchor) {
      std::size_t n = 0;
      for (int j = i; j < got && n < max; ++j) {
        out[n++] = reinterpret_cast<std::uintptr_t>(buffer[j]);
      }
      return n;
    }
  }
  return 0;
}

bool unwinder_available() noexcept { return unwinder().backtrace != nullptr; }

std::size_t unwind_context(void* context, std::uintptr_t* out, std::size_t max) noexcept {
  const unwinder_api& api = unwinder();
  if (api.init_local2 == nullptr || api.step == nullptr || api.get_reg == nullptr) {
    return 0;
  }
  unw_cursor_t cursor;
  if (api.init_local2(&cursor, static_cast<unw_context_t*>(context), UNW_INIT_SIGNAL_FRAME) < 0) {
    return 0;
  }
  std::size_t n = 0;
  do {
    unw_word_t ip = 0;
    if (api.get_reg(&cursor, UNW_REG_IP, &ip) < 0 || ip == 0) {
      break;
    }
    out[n++] = static_cast<std::uintptr_t>(ip);
  } while (n < max && api.step(&cursor) > 0);
  return n;
}

}  // namespace tether::detail
