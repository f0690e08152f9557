#pragma once
// tether::debug(...): Node's process._rawDebug, and tether::debug_to(fd, ...):
// Node's fs.writeSync(fd, util.format(...)). Safe inside hook callbacks.

#include <concepts>
#include <cstdint>
#include <cstddef>
#include <string_view>
#include <type_traits>

namespace tether {
namespace detail {

/// One argument of debug(), formatted without allocating.
struct debug_arg {
  enum class kind : unsigned char { text, signed_int, unsigned_int, floating, pointer, boolean };

  template <class S>
    requires std::convertible_to<const S&, std::string_view>
  debug_arg(const S& s) noexcept : kind_(kind::text), text_(s) {}  // NOLINT: implicit on purpose
  debug_arg(bool b) noexcept : kind_(kind::boolean), u_(b ? 1u : 0u) {}
  debug_arg(char c) noexcept : kind_(kind::text), text_(&c_, 1), c_(c) {}
  template <std::signed_integral I>
  debug_arg(I i) noexcept : kind_(kind::signed_int), i_(i) {}
  template <std::unsigned_integral U>
    requires(!std::same_as<U, bool>)
  debug_arg(U u) noexcept : kind_(kind::unsigned_int), u_(u) {}
  template <std::floating_point D>
  debug_arg(D d) noexcept : kind_(kind::floating), d_(static_cast<double>(d)) {}
  template <class P>
    requires(!std::convertible_to<P*, std::string_view>)
  debug_arg(P* p) noexcept : kind_(kind::pointer), p_(static_cast<const void*>(p)) {}

  debug_arg(const debug_arg&) = delete;
  debug_arg& operator=(const debug_arg&) = delete;

  kind kind_;
  std::string_view text_{};
  std::int64_t i_ = 0;
  std::uint64_t u_ = 0;
  double d_ = 0;
  const void* p_ = nullptr;
  char c_ = 0;
};

/// Writes the line to `fd`; true when all of it was written.
bool debug_write_args(int fd, const debug_arg* const* args, std::size_t count) noexcept;

template <class... A>
bool debug_write(int fd, const A&... args) noexcept {
  if constexpr (sizeof...(A) == 0) {
    return debug_write_args(fd, nullptr, 0);
  } else {
    const debug_arg converted[] = {debug_arg(args)...};
    const debug_arg* pointers[sizeof...(A)];
    for (std::size_t i = 0; i < sizeof...(A); ++i) {
      pointers[i] = &converted[i];
    }
    return debug_write_args(fd, pointers, sizeof...(A));
  }
}

}  // namespace detail

/// Writes its arguments to stderr, separated by spaces and followed by a
/// newline, with one write(2) per 4 KiB and no heap allocation. It creates no
/// async resource and takes no lock, so it is safe inside hook callbacks (where
/// ordinary logging could recurse). Accepts strings, characters, integers,
/// floating-point numbers, booleans and pointers. Write errors are ignored.
///
///   tether::debug("init", id, type, "trigger", trigger);
template <class... A>
void debug(const A&... args) noexcept {
  (void)detail::debug_write(2, args...);
}

/// debug(), to the file descriptor `fd` instead of stderr: Node's
/// fs.writeSync(fd, ...) from a hook (fd 1 for stdout, a log file's fd, a
/// pipe). The same line, buffer and guarantees; a descriptor that is
/// non-blocking and full is waited for (poll), as a synchronous write must.
/// Returns true when the whole line was written, false on an error (a closed
/// or invalid fd, EPIPE...), leaving errno set. The caller owns `fd`.
///
///   tether::debug_to(log_fd, "destroy", id);
template <class... A>
bool debug_to(int fd, const A&... args) noexcept {
  return detail::debug_write(fd, args...);
}

}  // namespace tether
