#include <tether/debug.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>

#include "core/fatal.hpp"

namespace tether::detail {
namespace {

// Collects the line in a stack buffer and flushes it with one write(2) each
// time it fills, so a line shorter than the buffer reaches its fd whole even
// when several threads log at once. After a failed write the rest of the
// line is dropped (and ok() stays false).
class fd_line {
 public:
  explicit fd_line(int fd) noexcept : fd_(fd) {}
  fd_line(const fd_line&) = delete;
  fd_line& operator=(const fd_line&) = delete;

  void append(std::string_view s) noexcept {
    while (!s.empty()) {
      if (len_ == sizeof buf_) {
        flush();
      }
      const std::size_t n = std::min(s.size(), sizeof buf_ - len_);
      s.copy(buf_ + len_, n);
      len_ += n;
      s.remove_prefix(n);
    }
  }

  template <class V>
  void append_number(V v) noexcept {
    char digits[64];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, v);
    append(std::string_view(digits, ec == std::errc{} ? static_cast<std::size_t>(end - digits) : 0));
  }

  void append_pointer(const void* p) noexcept {
    char digits[2 + 2 * sizeof(void*)] = {'0', 'x'};
    const auto [end, ec] = std::to_chars(digits + 2, digits + sizeof digits,
                                         reinterpret_cast<std::uintptr_t>(p), 16);
    append(std::string_view(digits, static_cast<std::size_t>(end - digits)));
  }

  void flush() noexcept {
    if (ok_) {
      ok_ = write_fd(fd_, std::string_view(buf_, len_));
    }
    len_ = 0;
  }

  bool ok() const noexcept { return ok_; }

 private:
  int fd_;
  bool ok_ = true;
  char buf_[4096];
  std::size_t len_ = 0;
};

void append_arg(fd_line& out, const debug_arg& a) noexcept {
  switch (a.kind_) {
    case debug_arg::kind::text:
      out.append(a.text_);
      break;
    case debug_arg::kind::signed_int:
      out.append_number(a.i_);
      break;
    case debug_arg::kind::unsigned_int:
      out.append_number(a.u_);
      break;
    case debug_arg::kind::floating:
      out.append_number(a.d_);
      break;
    case debug_arg::kind::pointer:
      out.append_pointer(a.p_);
      break;
    case debug_arg::kind::boolean:
      out.append(a.u_ != 0 ? "true" : "false");
      break;
  }
}

}  // namespace

bool debug_write_args(int fd, const debug_arg* const* args, std::size_t count) noexcept {
  fd_line out(fd);
  for (std::size_t i = 0; i < count; ++i) {
    if (i != 0) {
      out.append(" ");
    }
    append_arg(out, *args[i]);
  }
  out.append("\n");
  out.flush();
  return out.ok();
}

}  // namespace tether::detail
