#pragma once
// The Asio flavour a test binary is built for: tests/asio is compiled twice,
// into tether_asio_tests (standalone Asio, linking tether::asio) and
// tether_boost_asio_tests (Boost.Asio, -DTETHER_TEST_BOOST_ASIO, linking
// tether::boost_asio). Tests spell Asio `net::` and its error code
// `net_error_code`.

#if defined(TETHER_TEST_BOOST_ASIO)
#include <boost/asio.hpp>
namespace net = boost::asio;
using net_error_code = boost::system::error_code;
inline constexpr const char* asio_flavour_name = "boost";
#else
#include <asio.hpp>
namespace net = asio;
using net_error_code = asio::error_code;
inline constexpr const char* asio_flavour_name = "standalone";
#endif
