#pragma once
// tether for Asio programs. Linking tether::asio (standalone Asio) or
// tether::boost_asio (Boost.Asio) is the whole set-up: every Asio handler
// becomes an async resource, async_local_storage context flows through
// post, timers, sockets, strands, thread pools and co_spawn coroutines, and
// the profiler and stack traces see it all. This header only names what
// that gives you; including it is optional (docs/asio.md).
//
//   target_link_libraries(server PRIVATE tether::asio)
//
//   tether::async_hook hook = tether::create_hook({.init = [](tether::async_id id,
//       std::string_view type, tether::async_id trigger, tether::resource&) {
//     if (type == tether::asio_types::socket_read_some) { ... }
//   }});
//   hook.enable();

#if !defined(ASIO_CUSTOM_HANDLER_TRACKING) && !defined(BOOST_ASIO_CUSTOM_HANDLER_TRACKING)
#error "<tether/asio.hpp>: this translation unit is not tracked. Link its target with tether::asio (standalone Asio) or tether::boost_asio (Boost.Asio); their compile definitions are the set-up (docs/asio.md)."
#endif

#include <string_view>

namespace tether::asio_types {

// The resource types Asio operations are reported as: "asio." and the
// operation the user asked for. One user handler is one resource: strand
// invokers and hand-offs to a handler's own executor are folded into it.

/// asio::post, and asio::defer / asio::dispatch when they queue through an
/// io_context's executor (Asio's tracking cannot tell those three apart).
inline constexpr std::string_view post = "asio.post";
/// executor.defer(), thread_pool and system_executor defer.
inline constexpr std::string_view defer = "asio.defer";
/// executor.dispatch() that could not run at once.
inline constexpr std::string_view dispatch = "asio.dispatch";
/// post / defer / dispatch onto a strand.
inline constexpr std::string_view strand_post = "asio.strand.post";
inline constexpr std::string_view strand_defer = "asio.strand.defer";
inline constexpr std::string_view strand_dispatch = "asio.strand.dispatch";
/// async_wait on a steady_timer, system_timer (and high_resolution_timer),
/// or a Boost posix-time deadline_timer.
inline constexpr std::string_view steady_timer = "asio.steady_timer";
inline constexpr std::string_view system_timer = "asio.system_timer";
inline constexpr std::string_view deadline_timer = "asio.deadline_timer";
/// Stream sockets: async_read_some / async_write_some (async_read and
/// async_write are chains of these).
inline constexpr std::string_view socket_read_some = "asio.socket.async_read_some";
inline constexpr std::string_view socket_write_some = "asio.socket.async_write_some";
/// Datagram sockets.
inline constexpr std::string_view socket_receive = "asio.socket.async_receive";
inline constexpr std::string_view socket_send = "asio.socket.async_send";
inline constexpr std::string_view socket_receive_from = "asio.socket.async_receive_from";
inline constexpr std::string_view socket_send_to = "asio.socket.async_send_to";
inline constexpr std::string_view socket_connect = "asio.socket.async_connect";
inline constexpr std::string_view socket_wait = "asio.socket.async_wait";
inline constexpr std::string_view acceptor_accept = "asio.acceptor.async_accept";
inline constexpr std::string_view resolver = "asio.resolver";
inline constexpr std::string_view signal_set = "asio.signal_set";
/// A co_spawn'ed coroutine: created in the spawner's context; its
/// callbacks are the slices it runs between suspensions.
inline constexpr std::string_view co_spawn = "asio.co_spawn";

}  // namespace tether::asio_types
