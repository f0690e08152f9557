// The libuv error category and uv_error: the one place where a libuv result
// becomes a std::error_code.

#include <tether/uv_error.hpp>

#include <uv.h>

#include <utility>

namespace tether {
namespace {

// On Unix libuv's codes for system errors are negated errno values; its own
// codes (UV_EOF, UV_EAI_*, UV_ECHARSET, UV_EFTYPE) live at -3000 and below,
// far beyond any errno.
constexpr int first_libuv_specific_code = 3000;

class uv_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "libuv"; }

  std::string message(int code) const override {
    // The _r variants: the plain ones leak a string for unknown codes.
    char text[128];
    char name_buf[64];
    uv_strerror_r(code, text, sizeof text);
    uv_err_name_r(code, name_buf, sizeof name_buf);
    return std::string(text) + " (" + name_buf + ")";
  }

  std::error_condition default_error_condition(int code) const noexcept override {
    if (code < 0 && -code < first_libuv_specific_code) {
      return {-code, std::generic_category()};
    }
    return {code, *this};
  }
};

std::string describe(std::string_view syscall, std::string_view path, std::string_view dest) {
  std::string s(syscall);
  if (!path.empty()) {
    s.append(" '").append(path).append("'");
  }
  if (!dest.empty()) {
    s.append(" -> '").append(dest).append("'");
  }
  return s;
}

}  // namespace

const std::error_category& uv_category() noexcept {
  static const uv_error_category category;
  return category;
}

std::error_code make_uv_error_code(int uv_code) noexcept {
  if (uv_code >= 0) {
    return {};
  }
  return {uv_code, uv_category()};
}

std::string uv_error_name(const std::error_code& ec) {
  if (ec.category() != uv_category()) {
    return ec.message();
  }
  char name_buf[64];
  uv_err_name_r(ec.value(), name_buf, sizeof name_buf);
  return name_buf;
}

uv_error::uv_error(std::error_code ec, std::string syscall, std::string path, std::string dest)
    : uv_error(ec, std::make_shared<const fields>(
                       fields{std::move(syscall), std::move(path), std::move(dest)})) {}

uv_error::uv_error(std::error_code ec, std::shared_ptr<const fields> f)
    : std::system_error(ec, describe(f->syscall, f->path, f->dest)), fields_(std::move(f)) {}

}  // namespace tether
