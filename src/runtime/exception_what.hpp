#pragma once
// The text of a stored exception, for the runtime's own messages (unhandled
// rejections, aggregate_error): one place that rethrows to read what().

#include <exception>
#include <string>
#include <string_view>

namespace tether::detail {

/// what() of the exception in `e`, or `otherwise` when it does not derive
/// from std::exception.
inline std::string exception_what(const std::exception_ptr& e, std::string_view otherwise) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return std::string(otherwise);
  }
}

}  // namespace tether::detail
