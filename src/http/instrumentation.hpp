#pragma once
// The installed http::instrumentation, for listen() and fetch().

#include <tether/http.hpp>

namespace tether::http::detail {

/// What set_instrumentation() installed, or null.
instrumentation* current_instrumentation() noexcept;

}  // namespace tether::http::detail
