#include "asio/flavour.hpp"

namespace tether::detail::TETHER_ASIO_BUILD_FLAVOUR {

constinit thread_local thread_state tls;

std::uint64_t slice_overflows() noexcept { return tls.slice_overflows; }

}  // namespace tether::detail::TETHER_ASIO_BUILD_FLAVOUR
