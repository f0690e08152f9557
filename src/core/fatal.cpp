#include "core/fatal.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>

namespace tether::detail {
namespace {

// Appends to a fixed buffer, truncating silently: a fatal message must never
// allocate or fail.
class line_buffer {
 public:
  void append(std::string_view s) noexcept {
    const std::size_t n = s.size() < room() ? s.size() : room();
    s.copy(buf_ + len_, n);
    len_ += n;
  }
  void append(unsigned long long v) noexcept {
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, v);
    append(std::string_view(digits, static_cast<std::size_t>(end - digits)));
  }
  std::string_view view() const noexcept { return {buf_, len_}; }

 private:
  std::size_t room() const noexcept { return sizeof buf_ - 1 - len_; }  // keep one for '\n'
  char buf_[1024];
  std::size_t len_ = 0;
};

}  // namespace

bool write_fd(int fd, std::string_view text) noexcept {
  const char* data = text.data();
  std::size_t size = text.size();
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, -1) < 0 && errno != EINTR) {
        return false;
      }
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

void write_stderr(std::string_view text) noexcept { (void)write_fd(STDERR_FILENO, text); }

void fatal(std::string_view line) noexcept {
  line_buffer b;
  b.append(line);
  b.append("\n");
  write_stderr(b.view());
  std::abort();
}

void fatal_hook_exception(std::string_view hook, std::string_view type, unsigned long long id,
                          std::string_view what) noexcept {
  line_buffer b;
  b.append("tether: fatal: exception in async hook '");
  b.append(hook);
  b.append("' (resource type \"");
  b.append(type);
  b.append("\", id ");
  b.append(id);
  b.append("): ");
  b.append(what);
  fatal(b.view());
}

}  // namespace tether::detail
