// Traces attached to exceptions: with_async_trace(), async_trace_of(), the
// runtime's note_exception hook, and the terminate handler that prints the
// trace of an exception nobody caught.
//
// "Attached" without wrapping (so catch clauses see the same type): a table
// of the last `capacity` exceptions given a trace, keyed by the exception
// object (std::exception_ptr equality), each entry holding the exception
// alive until it is pushed out. Bounded, and a mutex is fine on error paths.

#include <tether/stack_trace.hpp>

#include <unistd.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cxxabi.h>
#include <mutex>
#include <new>
#include <string>
#include <typeinfo>

#include <tether/detail/diagnostics.hpp>

#include "stack_trace/capture.hpp"
#include "stack_trace/stack_walk.hpp"
#include "stack_trace/trace_data.hpp"

namespace tether::detail {
namespace {

class exception_table {
 public:
  static constexpr std::size_t capacity = 256;

  std::shared_ptr<const trace_data> find(const std::exception_ptr& e) {
    const std::lock_guard lock(mutex_);
    for (const entry& x : entries_) {
      if (x.exception == e) {
        return x.trace;
      }
    }
    return nullptr;
  }

  /// Keeps `trace` for `e` unless `e` has one already; returns the one kept.
  std::shared_ptr<const trace_data> add(const std::exception_ptr& e,
                                        std::shared_ptr<const trace_data> trace) {
    const std::lock_guard lock(mutex_);
    for (const entry& x : entries_) {
      if (x.exception == e) {
        return x.trace;
      }
    }
    entry& slot = entries_[next_];
    next_ = (next_ + 1) % capacity;
    slot.exception = e;
    slot.trace = std::move(trace);
    return slot.trace;
  }

 private:
  struct entry {
    std::exception_ptr exception;
    std::shared_ptr<const trace_data> trace;
  };
  std::mutex mutex_;
  std::array<entry, capacity> entries_;
  std::size_t next_ = 0;
};

exception_table& table() {
  // Never destroyed: the terminate handler may run during static
  // destruction. (The entries stay reachable, so leak checkers agree.)
  alignas(exception_table) static unsigned char storage[sizeof(exception_table)];
  static exception_table* const t = ::new (storage) exception_table();
  return *t;
}

[[gnu::noinline]] void attach(const std::exception_ptr& e, const std::exception_ptr* cause) noexcept {
  if (!e) {
    return;
  }
  try {
    exception_table& t = table();
    std::shared_ptr<const trace_data> trace;
    if (cause != nullptr && *cause) {
      trace = t.find(*cause);
    }
    if (trace == nullptr) {
      if (t.find(e) != nullptr) {
        return;
      }
      trace = take_trace(TETHER_CURRENT_FRAME(), 0);
    }
    t.add(e, std::move(trace));
  } catch (...) {
    // Out of memory: the exception goes on without a trace.
  }
}

std::string demangled_type(const std::type_info* type) {
  if (type == nullptr) {
    return "unknown type";
  }
  int status = 0;
  char* name = abi::__cxa_demangle(type->name(), nullptr, nullptr, &status);
  std::string out = status == 0 && name != nullptr ? name : type->name();
  std::free(name);
  return out;
}

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return demangled_type(&typeid(x)) + ": " + x.what();
  } catch (...) {
    return demangled_type(abi::__cxa_current_exception_type());
  }
}

void write_all(int fd, const std::string& text) noexcept {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      return;
    }
    done += static_cast<std::size_t>(n);
  }
}

std::terminate_handler previous_terminate = nullptr;

[[noreturn]] void on_terminate() noexcept {
  static std::atomic<bool> reported{false};
  if (!reported.exchange(true)) {
    try {
      if (const std::exception_ptr e = std::current_exception()) {
        if (std::shared_ptr<const trace_data> trace = table().find(e)) {
          write_all(2, "tether: uncaught exception: " + describe(e) + "\n" +
                           to_string(async_trace(std::move(trace))));
        }
      }
    } catch (...) {
      // Printing failed (out of memory): the default report follows.
    }
  }
  if (previous_terminate != nullptr) {
    previous_terminate();
  }
  std::abort();
}

}  // namespace

void install_exception_paths() noexcept {
  static std::once_flag once;
  std::call_once(once, [] {
    exception_note_hook.store(&attach, std::memory_order_release);
    previous_terminate = std::set_terminate(&on_terminate);
  });
}

}  // namespace tether::detail

namespace tether {

std::exception_ptr with_async_trace(std::exception_ptr e) {
  detail::attach(e, nullptr);
  return e;
}

async_trace async_trace_of(const std::exception_ptr& e) {
  if (!e) {
    return {};
  }
  return async_trace(detail::table().find(e));
}

}  // namespace tether
