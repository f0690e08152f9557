#pragma once
// The tracking header of the flavour this copy of the library is built for:
// src/asio/CMakeLists.txt compiles these sources twice, once per flavour,
// and each copy's definitions live in that flavour's namespace
// (tether::detail::asio_standalone, tether::detail::asio_boost).

#if defined(TETHER_ASIO_BUILD_BOOST)
#include <tether/detail/boost_asio_tracking.hpp>
#define TETHER_ASIO_BUILD_FLAVOUR asio_boost
#else
#include <tether/detail/asio_tracking.hpp>
#define TETHER_ASIO_BUILD_FLAVOUR asio_standalone
#endif
