// The opt-in fatal-signal handler (install_fatal_signal_handler).
//
// In the handler itself, only async-signal-safe work: the crashing stack by
// a frame-pointer walk from the signal context, the async chain by reading
// the current resource's records and the await walker (memory reads, no
// lock), each address printed raw as module+offset (enough for
// `addr2line -Cfie <module> <offset>` later), with write(2) from a stack
// buffer. Then the same trace symbolized, by a child made with _Fork() (a
// crash inside malloc or with a lock held would hang symbolization in this
// process; in the child it only hangs the child, which is killed after
// `symbolize_timeout`). Then the signal is re-raised with its default
// action, so the process dies of it as it would have.

#include <tether/stack_trace.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>

#include <tether/detail/diagnostics.hpp>
#include <tether/detail/thread_state.hpp>

#include "stack_trace/capture.hpp"
#include "stack_trace/module_map.hpp"
#include "stack_trace/records.hpp"
#include "stack_trace/stack_walk.hpp"
#include "stack_trace/symbolizer.hpp"
#include "stack_trace/trace_data.hpp"

namespace tether::detail {
namespace {

constexpr int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
constexpr std::size_t max_frames = 64;
constexpr std::size_t max_hops = 64;
constexpr int symbolize_timeout_ms = 10000;
constexpr std::size_t alternate_stack_size = 256 * 1024;

/// Formats into a fixed buffer and writes it to stderr: no allocation.
class signal_writer {
 public:
  signal_writer& text(const char* s) noexcept { return text(s, std::strlen(s)); }
  signal_writer& text(const char* s, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) {
      if (used_ == sizeof buffer_) {
        flush();
      }
      buffer_[used_++] = s[i];
    }
    return *this;
  }
  signal_writer& hex(std::uintptr_t v) noexcept {
    char digits[2 + 2 * sizeof v];
    std::size_t n = sizeof digits;
    do {
      digits[--n] = "0123456789abcdef"[v & 0xf];
      v >>= 4;
    } while (v != 0);
    digits[--n] = 'x';
    digits[--n] = '0';
    return text(digits + n, sizeof digits - n);
  }
  signal_writer& dec(std::uint64_t v) noexcept {
    char digits[20];
    std::size_t n = sizeof digits;
    do {
      digits[--n] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    return text(digits + n, sizeof digits - n);
  }
  void flush() noexcept {
    std::size_t done = 0;
    while (done < used_) {
      const ssize_t n = ::write(STDERR_FILENO, buffer_ + done, used_ - done);
      if (n <= 0) {
        break;
      }
      done += static_cast<std::size_t>(n);
    }
    used_ = 0;
  }
  ~signal_writer() { flush(); }

 private:
  char buffer_[1024];
  std::size_t used_ = 0;
};

const char* signal_name(int sig) noexcept {
  switch (sig) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGILL:
      return "SIGILL";
    case SIGABRT:
      return "SIGABRT";
    default:
      return "signal";
  }
}

void write_address(signal_writer& w, std::size_t index, std::uintptr_t address) noexcept {
  w.text("    #").dec(index).text(" ").hex(address);
  module_hit hit;
  if (module_map::instance().find_unlocked(address, hit)) {
    w.text(" ").text(hit.path).text("+").hex(hit.offset);
  }
  w.text("\n");
}

/// What the handler gathered, in plain arrays, for the symbolizing child.
struct crash_report {
  void* context = nullptr;  // the handler's ucontext_t (the child has a copy of it)
  std::uintptr_t stack[max_frames];
  std::size_t depth = 0;
  async_id awaiter_ids[max_hops];
  std::uintptr_t awaiter_addresses[max_hops];
  std::size_t awaiters = 0;
};

void write_raw(int sig, const siginfo_t* info, const ucontext_t* context, crash_report& report) noexcept {
  signal_writer w;
  w.text("tether: fatal signal ").text(signal_name(sig)).text(" (").dec(static_cast<unsigned>(sig)).text(")");
  if (sig != SIGABRT) {
    w.text(", fault address ").hex(reinterpret_cast<std::uintptr_t>(info->si_addr));
  }
  w.text("\n");

  // The crashing stack: the faulting instruction, then its callers.
  const auto& regs = context->uc_mcontext.gregs;
  report.stack[0] = static_cast<std::uintptr_t>(regs[REG_RIP]);
  walk_end end = walk_end::broken;
  report.depth = 1 + walk_frame_pointers(static_cast<std::uintptr_t>(regs[REG_RBP]), 0,
                                         report.stack + 1, max_frames - 1, cached_stack_bounds(), end);
  w.text("tether: raw stack (addr2line -Cfie <module> <offset>):\n");
  for (std::size_t i = 0; i < report.depth; ++i) {
    write_address(w, i, report.stack[i]);
  }

  const resource* current = tls.current;
  if (current == nullptr) {
    return;
  }
  const std::size_t hops = settings.hops.load(std::memory_order_relaxed);
  if (const await_walk_fn walk = await_walker.load(std::memory_order_acquire)) {
    const resource* awaited = current;
    await_link link;
    while (report.awaiters < hops && walk(*awaited, link)) {
      const std::string_view type = link.awaiter->type();
      w.text("-- awaited by ").text(type.data(), type.size()).text(" ").dec(link.awaiter->id()).text(" at:\n");
      const auto address = reinterpret_cast<std::uintptr_t>(link.resume_address);
      write_address(w, 0, address);
      report.awaiter_ids[report.awaiters] = link.awaiter->id();
      report.awaiter_addresses[report.awaiters++] = address;
      awaited = link.awaiter;
    }
  }
  void* slot = resource_access::observer_data(*current);
  std::size_t count = 0;
  if (slot == nullptr || inherited(slot)) {
    const std::string_view type = current->type();
    w.text("-- ").text(type.data(), type.size()).text(" ").dec(current->id()).text(" (no stack recorded)\n");
    ++count;
  }
  for (const trace_record* r = record_of(slot); r != nullptr && count < hops; r = r->parent, ++count) {
    w.text("-- ");
    if (r->stack != nullptr) {
      const std::string_view type = r->stack->type();
      w.text(type.data(), type.size());
    }
    w.text(" ").dec(r->id).text(" created at:\n");
    for (std::size_t i = 0; r->stack != nullptr && i < r->stack->shown(); ++i) {
      write_address(w, i, r->stack->addresses()[i]);
    }
  }
}

/// In the child: the same report, symbolized, through the normal printer.
[[noreturn]] void symbolize_and_exit(const crash_report& report) noexcept {
  try {
    auto data = std::make_shared<trace_data>();
    // The crashing stack again, by libunwind from the signal context: exact
    // through libraries without frame pointers, and it finds the caller of a
    // leaf function that had no frame of its own (the frame-pointer walk
    // above cannot). The frame-pointer walk if libunwind is missing.
    std::uintptr_t unwound[max_frames];
    const std::size_t m = unwind_context(report.context, unwound, max_frames);
    data->stack = stack_table::instance().intern(
        m > 0 ? stack_key{unwound, m, {}, interned_stack::kind::exact, false}
              : stack_key{report.stack, report.depth, {}, interned_stack::kind::exact, false});
    data->first_address_exact = true;
    data->hops = settings.hops.load(std::memory_order_relaxed);
    if (const resource* current = tls.current) {
      data->in_resource = true;
      data->current_id = current->id();
      data->current_type = std::string(current->type());
      for (std::size_t i = 0; i < report.awaiters; ++i) {
        data->awaiters.push_back({report.awaiter_ids[i], "PROMISE", report.awaiter_addresses[i]});
      }
      if (void* slot = resource_access::observer_data(*current)) {
        retain(*record_of(slot));
        data->chain = record_of(slot);
        data->current_recorded = !inherited(slot);
      }
    }
    const std::string text = "tether: symbolized:\n" + to_string(async_trace(std::move(data)));
    signal_writer w;
    w.text(text.data(), text.size());
  } catch (...) {
  }
  ::_exit(0);
}

void sleep_ms(long ms) noexcept {
  timespec t{ms / 1000, (ms % 1000) * 1000000L};
  while (::nanosleep(&t, &t) != 0) {
  }
}

void run_symbolizer(const crash_report& report) noexcept {
  const pid_t child = ::_Fork();
  if (child == 0) {
    symbolize_and_exit(report);
  }
  if (child < 0) {
    return;
  }
  for (int waited = 0; waited < symbolize_timeout_ms; waited += 10) {
    int status = 0;
    const pid_t r = ::waitpid(child, &status, WNOHANG);
    if (r == child || (r < 0 && errno != EINTR)) {
      return;
    }
    sleep_ms(10);
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  signal_writer{}.text("tether: symbolization timed out; the raw addresses above still hold\n");
}

void on_fatal_signal(int sig, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  crash_report report;
  report.context = context;
  write_raw(sig, info, static_cast<const ucontext_t*>(context), report);
  run_symbolizer(report);
  // SA_RESETHAND restored the default action; raised now, the signal is
  // delivered when this handler returns (it is blocked until then).
  errno = saved_errno;
  ::raise(sig);
}

void install_alternate_stack() {
  static thread_local std::unique_ptr<char[]> stack;
  if (stack != nullptr) {
    return;
  }
  stack = std::make_unique<char[]>(alternate_stack_size);
  stack_t ss{};
  ss.ss_sp = stack.get();
  ss.ss_size = alternate_stack_size;
  ::sigaltstack(&ss, nullptr);
}

}  // namespace
}  // namespace tether::detail

namespace tether {

void install_fatal_signal_handler() {
  using namespace detail;
  // Everything the handler reads, made ready now: the module table, this
  // thread's stack bounds, the symbolizer and the libunwind loader (so the
  // child does not start from nothing).
  (void)module_map::instance();
  (void)current_stack_bounds();
  (void)symbolizer::instance();
  (void)unwinder_available();
  install_alternate_stack();
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = &on_fatal_signal;
    action.sa_flags = static_cast<int>(SA_SIGINFO | SA_ONSTACK | SA_RESETHAND);
    sigemptyset(&action.sa_mask);
    for (const int sig : fatal_signals) {
      ::sigaction(sig, &action, nullptr);
    }
  });
}

}  // namespace tether
