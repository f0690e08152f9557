#pragma once
// Not API. May change without notice.
//
// tether's custom handler tracking for standalone Asio 1.22. Never included
// by hand: linking tether::asio gives every translation unit of the target
//   -DASIO_CUSTOM_HANDLER_TRACKING="tether/detail/asio_tracking.hpp"
//   -Dasio=tether_tracked_asio
// and Asio includes this file from asio/detail/handler_tracking.hpp. The
// second definition is the link check: tracked code sees Asio's namespace
// under another name, so a program that passes Asio objects between tracked
// and untracked translation units fails to link instead of mixing two
// layouts of Asio's operations (docs/asio.md, "One definition for the whole
// program").
//
// Every macro Asio 1.22 requires (asio/detail/handler_tracking.hpp lists
// them; ASIO_HANDLER_LOCATION is used too) is bound here to the shared
// bodies in asio_tracking_impl.hpp, which says what each does.

#include <chrono>
#include <string_view>
#include <type_traits>
#include <utility>

#define TETHER_ASIO_FLAVOUR asio_standalone
#define TETHER_ASIO_NS asio
#include <tether/detail/asio_tracking_impl.hpp>
#undef TETHER_ASIO_NS
#undef TETHER_ASIO_FLAVOUR

#define ASIO_INHERIT_TRACKED_HANDLER TETHER_ASIO_INHERIT(asio_standalone)
#define ASIO_ALSO_INHERIT_TRACKED_HANDLER TETHER_ASIO_ALSO_INHERIT(asio_standalone)
#define ASIO_HANDLER_TRACKING_INIT TETHER_ASIO_IGNORED
#define ASIO_HANDLER_LOCATION(args) TETHER_ASIO_LOCATION(asio_standalone, args)
#define ASIO_HANDLER_CREATION(args) TETHER_ASIO_STANDALONE_CREATION args
#define TETHER_ASIO_STANDALONE_CREATION(context, op, object_type, object, native_handle, op_name) \
  TETHER_ASIO_CREATION(asio_standalone, op, object_type, object, op_name)
#define ASIO_HANDLER_COMPLETION(args) TETHER_ASIO_COMPLETION(asio_standalone, args)
#define ASIO_HANDLER_INVOCATION_BEGIN(args) TETHER_ASIO_INVOCATION_BEGIN(args)
#define ASIO_HANDLER_INVOCATION_END TETHER_ASIO_INVOCATION_END
#define ASIO_HANDLER_OPERATION(args) TETHER_ASIO_IGNORED
#define ASIO_HANDLER_REACTOR_REGISTRATION(args) TETHER_ASIO_IGNORED
#define ASIO_HANDLER_REACTOR_DEREGISTRATION(args) TETHER_ASIO_IGNORED
#define ASIO_HANDLER_REACTOR_READ_EVENT 1
#define ASIO_HANDLER_REACTOR_WRITE_EVENT 2
#define ASIO_HANDLER_REACTOR_ERROR_EVENT 4
#define ASIO_HANDLER_REACTOR_EVENTS(args) TETHER_ASIO_IGNORED
#define ASIO_HANDLER_REACTOR_OPERATION(args) TETHER_ASIO_IGNORED
