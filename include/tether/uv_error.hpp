#pragma once
// Operational failures of the runtime (ENOENT, EACCES, ECONNREFUSED...) as
// std::error_code in a category built from libuv's codes, and the exception
// the promise forms reject with. A raw negative libuv int never crosses the
// public API: it goes through make_uv_error_code(), the one conversion.

#include <memory>
#include <string>
#include <string_view>
#include <system_error>

namespace tether {

/// The "libuv" error category. A code's value is libuv's (negative) error
/// number; message() is libuv's message followed by the error's name, e.g.
/// "no such file or directory (ENOENT)". Codes that are errno values compare
/// equal to the matching std::errc (`ec == std::errc::no_such_file_or_directory`);
/// libuv's own codes (UV_EOF, UV_EAI_*) only to themselves.
const std::error_category& uv_category() noexcept;

/// The error_code for a libuv result: 0 (or any non-negative result) gives
/// an empty error_code, a negative one a code in uv_category().
std::error_code make_uv_error_code(int uv_code) noexcept;

/// libuv's short name for `ec` ("ENOENT"); for a code of another category,
/// its message.
std::string uv_error_name(const std::error_code& ec);

/// A std::system_error for a failed operation, carrying what Node's errors
/// carry besides the code: the system call and the path(s). what() reads
///   "open '/nope': no such file or directory (ENOENT)"
///   "rename '/a' -> '/b': no such file or directory (ENOENT)"
///   "close: bad file descriptor (EBADF)"            (no path)
/// Copying is cheap and does not throw (the fields are shared).
class uv_error : public std::system_error {
 public:
  uv_error(std::error_code ec, std::string syscall, std::string path = {}, std::string dest = {});

  /// "open", "read", "scandir"... (libuv's operation names, as Node's err.syscall).
  const std::string& syscall() const noexcept { return fields_->syscall; }
  /// The path the operation was on (empty for fd operations).
  const std::string& path() const noexcept { return fields_->path; }
  /// The second path of a two-path operation (rename's destination).
  const std::string& dest() const noexcept { return fields_->dest; }

 private:
  struct fields {
    std::string syscall;
    std::string path;
    std::string dest;
  };
  uv_error(std::error_code ec, std::shared_ptr<const fields> f);

  std::shared_ptr<const fields> fields_;
};

}  // namespace tether
