#pragma once

#include <string_view>

namespace tether::detail {

/// write(2) to `fd` until done (retrying on EINTR, waiting with poll(2) while
/// a non-blocking fd is full); no allocation, no lock. False on any other
/// error (errno tells which); what was written stays written.
bool write_fd(int fd, std::string_view text) noexcept;

/// write_fd() to stderr, errors ignored.
void write_stderr(std::string_view text) noexcept;

/// Prints exactly one line to stderr and aborts. Allocation-free, so it works
/// when memory is exhausted or the heap is corrupt.
[[noreturn]] void fatal(std::string_view line) noexcept;

/// The one line for an exception that escaped a hook callback:
///   tether: fatal: exception in async hook 'before' (resource type "Timeout", id 7): boom
[[noreturn]] void fatal_hook_exception(std::string_view hook, std::string_view type,
                                       unsigned long long id, std::string_view what) noexcept;

}  // namespace tether::detail
