#pragma once

#include <stdexcept>

namespace tether {

/// Thrown when the API is used in a way the caller could have avoided: a second
/// `emit_destroy()`, running a destroyed resource, enabling a moved-from hook.
/// The message names the call, the resource (id and type) and the fix.
class usage_error : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace tether
