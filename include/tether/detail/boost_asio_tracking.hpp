#pragma once
// Not API. May change without notice.
//
// tether's custom handler tracking for Boost.Asio 1.74 (Asio 1.18). Never included
// by hand: linking tether::boost_asio gives every translation unit of the target
//   -DBOOST_ASIO_CUSTOM_HANDLER_TRACKING="tether/detail/boost_asio_tracking.hpp"
//   -Dasio=tether_tracked_asio
// and Boost.Asio includes this file from boost/asio/detail/handler_tracking.hpp. The
// second definition is the link check: tracked code sees Asio's namespace
// under another name, so a program that passes Asio objects between tracked
// and untracked translation units fails to link instead of mixing two
// layouts of Asio's operations (docs/asio.md, "One definition for the whole
// program").
//
// Every macro Boost.Asio 1.74 requires (boost/asio/detail/handler_tracking.hpp lists
// them; BOOST_ASIO_HANDLER_LOCATION is used too) is bound here to the shared
// bodies in asio_tracking_impl.hpp, which says what each does.

#include <chrono>
#include <string_view>
#include <type_traits>
#include <utility>

#define TETHER_ASIO_FLAVOUR asio_boost
#define TETHER_ASIO_NS boost::asio
#include <tether/detail/asio_tracking_impl.hpp>
#undef TETHER_ASIO_NS
#undef TETHER_ASIO_FLAVOUR

#define BOOST_ASIO_INHERIT_TRACKED_HANDLER TETHER_ASIO_INHERIT(asio_boost)
#define BOOST_ASIO_ALSO_INHERIT_TRACKED_HANDLER TETHER_ASIO_ALSO_INHERIT(asio_boost)
#define BOOST_ASIO_HANDLER_TRACKING_INIT TETHER_ASIO_IGNORED
#define BOOST_ASIO_HANDLER_LOCATION(args) TETHER_ASIO_LOCATION(asio_boost, args)
#define BOOST_ASIO_HANDLER_CREATION(args) TETHER_ASIO_BOOST_CREATION args
#define TETHER_ASIO_BOOST_CREATION(context, op, object_type, object, native_handle, op_name) \
  TETHER_ASIO_CREATION(asio_boost, op, object_type, object, op_name)
#define BOOST_ASIO_HANDLER_COMPLETION(args) TETHER_ASIO_COMPLETION(asio_boost, args)
#define BOOST_ASIO_HANDLER_INVOCATION_BEGIN(args) TETHER_ASIO_INVOCATION_BEGIN(args)
#define BOOST_ASIO_HANDLER_INVOCATION_END TETHER_ASIO_INVOCATION_END
#define BOOST_ASIO_HANDLER_OPERATION(args) TETHER_ASIO_IGNORED
#define BOOST_ASIO_HANDLER_REACTOR_REGISTRATION(args) TETHER_ASIO_IGNORED
#define BOOST_ASIO_HANDLER_REACTOR_DEREGISTRATION(args) TETHER_ASIO_IGNORED
#define BOOST_ASIO_HANDLER_REACTOR_READ_EVENT 1
#define BOOST_ASIO_HANDLER_REACTOR_WRITE_EVENT 2
#define BOOST_ASIO_HANDLER_REACTOR_ERROR_EVENT 4
#define BOOST_ASIO_HANDLER_REACTOR_EVENTS(args) TETHER_ASIO_IGNORED
#define BOOST_ASIO_HANDLER_REACTOR_OPERATION(args) TETHER_ASIO_IGNORED
