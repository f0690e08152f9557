#pragma once
// Async (long) stack traces: where the code running now was set in motion.
//
//   tether::set_stack_trace_options({});        // capture at every init from now on
//   ...
//   std::cerr << tether::to_string(tether::async_stack_trace());
//
// prints the current stack, then hop by hop along the chain of resources
// that led here, the stack that created each one:
//
//       at on_read(...) (server.cpp:41)
//   -- awaited by PROMISE 14 at:
//       at handle_request(...) (server.cpp:67)
//   -- FSREQCALLBACK 12 created at:
//       at on_timer() (server.cpp:30)
//   -- Timeout 5 created at:
//       at main (server.cpp:80)
//
// - Capture: while enabled, every resource's `init` records the return
//   addresses of the creating stack (a frame-pointer walk, ~tens of ns;
//   libunwind where the program has no frame pointers), interned so that a
//   call site seen a million times is stored once. Symbols are looked up only
//   when a trace is printed (libdw: demangled names, file:line, inlined
//   frames). Build your own code with -fno-omit-frame-pointer for the fast
//   path (docs/stack_trace.md).
// - Hops: each hop is the resource in whose callback the previous one was
//   created (its trigger, except where an integrator names another trigger:
//   then the hop still shows the code that asked for the operation). A hop's
//   record lives as long as a descendant needs it, up to `hops` hops back.
// - Await chain: inside a promise<T> coroutine, the coroutines awaiting it,
//   innermost first, each at the line of its co_await.
// - Exceptions: an exception that leaves user code under the runtime (a
//   throwing callback, a coroutine body, an unhandled rejection, queue_work's
//   function) gets the trace of that moment attached; async_trace_of() reads
//   it back; an uncaught one is printed with its trace before the process
//   terminates. with_async_trace() attaches one anywhere else, and
//   throw_with_async_trace() at the throw site itself.
//
// Thread-safe: capture runs on every thread, traces may be taken, copied and
// printed anywhere. Nothing here creates an async resource.

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <tether/resource.hpp>

namespace tether {

/// How a creation stack is walked.
enum class stack_walk : std::uint8_t {
  /// Frame pointers; libunwind for stacks where a function of the program
  /// itself has none. A frame-pointer-less shared library (Debian's libuv,
  /// libstdc++, glibc) ends the walk: below it lie the loop's internals.
  automatic,
  /// Frame pointers only: stop at the first function without them.
  frame_pointers,
  /// libunwind (DWARF CFI) for every stack: exact everywhere, ~20x slower.
  libunwind,
};

struct stack_trace_options {
  /// Capture a creation stack at every init (false: none; traces then only
  /// show the current stack and the live resources' types and ids).
  bool enabled = true;
  /// Return addresses kept per stack, 1..64.
  std::size_t frames = 16;
  /// Creation hops kept and printed (the current resource counts as one),
  /// and awaiters printed; 0..64. Hops the runtime makes on its own count
  /// too (fs::read_file is four requests, each created in the one before).
  std::size_t hops = 16;
  /// Capture one init in N (1: all). The others keep their creator's chain,
  /// so traces skip them but stay connected.
  std::uint32_t sample_every = 1;
  stack_walk walk = stack_walk::automatic;
  /// to_string(): also print tether's own frames and those of the system
  /// runtime (libuv, libstdc++, glibc), hidden by default.
  bool show_internal_frames = false;
};

/// Applies `options` process-wide, from the next init on any thread.
/// Enabling also installs the exception paths described above. Throws
/// usage_error naming the field if a value is out of range.
void set_stack_trace_options(const stack_trace_options& options);
/// The options in force (enabled == false until set_stack_trace_options).
stack_trace_options get_stack_trace_options();

/// One frame of a printed stack.
struct stack_frame {
  std::uintptr_t address = 0;  // a return address (or, for a crash, the faulting pc)
  std::string function;        // demangled, without " [clone ...]"; empty if unknown
  std::string file;            // empty without debug information
  unsigned line = 0;
  std::string module;          // the ELF file the address lies in
  bool inlined = false;        // inlined into the frame that follows
  bool internal = false;       // tether's own, or the system runtime's
};

/// One hop of an async trace.
struct async_hop {
  enum class kind : std::uint8_t {
    awaited_by,  // a coroutine suspended on the one before; `frames`: where it waits
    created,     // a resource; `frames`: the stack that created it
  };
  kind what = kind::created;
  std::string type;  // "PROMISE", "Timeout", an async_resource's type, ...
  async_id id = 0;
  bool recorded = false;  // false: no stack (capture was off or sampled out)
  std::vector<stack_frame> frames;
};

namespace detail {
struct trace_data;
}

/// A captured trace: raw addresses and the hops' records, symbolized only
/// when frames(), hops() or to_string() are called. Cheap to copy (shared,
/// immutable); holds the hops' records alive.
class async_trace {
 public:
  async_trace() noexcept = default;
  explicit async_trace(std::shared_ptr<const detail::trace_data> data) noexcept;

  /// True for a default-constructed trace (or async_trace_of() an exception
  /// that has none).
  bool empty() const noexcept { return data_ == nullptr; }
  /// The stack where the trace was taken, innermost first.
  std::vector<stack_frame> frames() const;
  /// Awaiters first (innermost first), then the creation hops, starting with
  /// the resource whose callback was running.
  std::vector<async_hop> hops() const;
  /// True if the chain went on beyond the hop limit (or its records were
  /// dropped there to keep memory bounded).
  bool truncated() const noexcept;

  /// Not API.
  const detail::trace_data* data() const noexcept { return data_.get(); }

 private:
  std::shared_ptr<const detail::trace_data> data_;
};

/// The current stack and, hop by hop, where each resource leading here was
/// created (and, inside a coroutine, who awaits it). Works with capture off
/// too (hops then carry types and ids only). Never creates a resource.
async_trace async_stack_trace();

/// Frames as "    at function (file:line)", each hop headed
/// "-- <type> <id> created at:" or "-- awaited by <type> <id> at:"; internal
/// frames hidden unless get_stack_trace_options().show_internal_frames.
std::string to_string(const async_trace& trace);
/// The same, with `options.show_internal_frames` deciding.
std::string to_string(const async_trace& trace, const stack_trace_options& options);

/// Attaches the current async trace to `e` (unless it has one already) and
/// returns `e`: the same exception object, so catch clauses are unaffected.
/// A null `e` is returned as is. The last 256 exceptions given a trace keep
/// it (an exception that has one is kept alive until it is pushed out).
std::exception_ptr with_async_trace(std::exception_ptr e);
/// The trace attached to `e` (by with_async_trace or the runtime); empty if
/// none.
async_trace async_trace_of(const std::exception_ptr& e);

/// `throw e;` with the trace of the throw site attached: its stack is the
/// thrower's (the runtime attaches one only once the exception has left
/// user code, unwound). For errors whose origin matters more than the cost
/// of a trace (microseconds).
template <class E>
[[noreturn]] void throw_with_async_trace(E&& e) {
  std::rethrow_exception(with_async_trace(std::make_exception_ptr(std::forward<E>(e))));
}

/// Opt-in: on SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGABRT, writes to stderr
/// the signal, the crashing stack and its async chain as raw addresses
/// (module+offset, async-signal-safe), then the same symbolized (in a forked
/// child, so a crash inside malloc cannot hang it; given up after 10 s), then
/// dies of the signal as it would have. Installs an alternate signal stack
/// on the calling thread (stack overflows). Idempotent.
void install_fatal_signal_handler();

/// Counters, for tests, benchmarks and monitoring.
struct stack_trace_stats {
  std::uint64_t captures = 0;          // stacks walked at init
  std::uint64_t unwinder_captures = 0;  // ... of which by libunwind
  std::uint64_t sampled_out = 0;       // inits that kept their creator's chain instead
  std::uint64_t live_records = 0;      // per-resource records alive (resources, kept hops)
  std::uint64_t live_stacks = 0;       // interned stacks alive
  std::uint64_t stack_bytes = 0;       // their memory
};
stack_trace_stats get_stack_trace_stats();

}  // namespace tether
