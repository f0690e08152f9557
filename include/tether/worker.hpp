#pragma once
// Worker threads and message ports: Node's worker_threads for C++.
//
// A `worker` runs a function on a new thread that has its own event_loop,
// then that loop until it has no work left; the parent learns of its start,
// its error and its exit code through callbacks on the parent's loop, all in
// the worker's "WORKER" resource (created by the constructor, on the parent).
// A `message_channel<T>` is two entangled `message_port<T>`s ("MESSAGEPORT"
// resources): what one port posts, the other receives, in order, without
// loss, on whichever thread's loop it is bound to. A port moved into a
// worker's arguments is how a worker talks to its parent (Node's
// workerData + transferList):
//
//   tether::message_channel<int> ch;
//   tether::worker w(
//       [](tether::message_port<int>& port) {          // the worker's thread
//         port.on_message([&port](int n) {
//           if (!port.post_message(n * n)) port.close();
//         });
//       },
//       std::move(ch.port2));
//   ch.port1.on_message([&](int sq) { ...; ch.port1.close(); });
//   (void)ch.port1.post_message(12);
//   w.on_exit([](int code) { ... });                    // 0: its loop ran out of work
//   loop.run();
//
// Differences from Node (docs/worker.md): ids are process-unique and hooks
// process-wide (docs/semantics.md); ports carry typed C++ values, moved, not
// structured-cloned; a port's queue is bounded (post_message says when it is
// full, on_drain when there is room again); C++ code cannot be preempted, so
// terminate() takes effect at the worker's next loop turn (code that may run
// for long checks this_worker::stop_requested()).

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <tether/detail/inbox_node.hpp>
#include <tether/detail/unique_function.hpp>
#include <tether/promise.hpp>

namespace tether {

/// Options of a message_channel.
struct message_channel_options {
  /// Messages that may wait, unread, at each port; post_message returns
  /// false beyond (Node's ports are unbounded). At least 1. The default
  /// keeps a busy channel's messages in cache (bench/README.md: 1 KiB
  /// strings cost 5x more per message at 65536, in page faults).
  std::size_t capacity = 4096;
};

namespace detail {

class channel_core;

template <class T>
struct message_node final : inbox_node {
  explicit message_node(T&& v) : value(std::move(v)) {
    dispose = [](inbox_node* n) noexcept { std::unique_ptr<message_node>{static_cast<message_node*>(n)}.reset(); };
  }
  explicit message_node(const T& v) : value(v) {
    dispose = [](inbox_node* n) noexcept { std::unique_ptr<message_node>{static_cast<message_node*>(n)}.reset(); };
  }
  T value;
};

// The type-independent half of message_port (src/runtime/worker/port.cpp).
// `side` is 0 for port1, 1 for port2.
std::shared_ptr<channel_core> make_channel(std::size_t capacity);
/// 0: queued place reserved (push must follow); 1: closed; 2: full.
int port_reserve(channel_core& c, int side) noexcept;
void port_unreserve(channel_core& c, int side) noexcept;
void port_push(channel_core& c, int side, inbox_node* n) noexcept;
void port_on_message(channel_core& c, int side, unique_function<void(inbox_node*)> deliver);
void port_on_close(channel_core& c, int side, unique_function<void()> fn);
void port_on_drain(channel_core& c, int side, unique_function<void()> fn);
void port_close(channel_core& c) noexcept;
void port_detach(channel_core& c, int side) noexcept;
void port_set_ref(channel_core& c, int side, bool refed);
bool port_has_ref(const channel_core& c, int side) noexcept;
bool port_closed(const channel_core& c) noexcept;
std::size_t port_backlog(const channel_core& c, int side) noexcept;

}  // namespace detail

template <class T>
class message_channel;

/// One end of a message_channel<T> (Node's MessagePort). Move-only.
///
/// Threads: post_message, close, closed and backlog may be called from any
/// thread. on_message, on_close, on_drain, ref and unref bind the port to
/// the calling thread's event_loop (the first of them binds it; usage_error
/// if that thread has no loop, or on another loop's thread afterwards);
/// callbacks run there, inside the port's MESSAGEPORT resource, each
/// followed by the tick/microtask drain.
///
/// Liveness: a bound port with a handler (on_message, on_close or
/// on_drain) keeps its loop alive until it has finished (after its
/// on_close), unless unref()'d. (Node: a port with a 'message' listener
/// keeps its loop alive; a closing one until its 'close'.)
///
/// Destroying a port object closes the channel; messages still queued to
/// it are destroyed unread, its callbacks are dropped without running (its
/// peer still receives what this port sent before, then its on_close).
template <class T>
class message_port {
  static_assert(std::is_move_constructible_v<T> && std::is_object_v<T>,
                "tether::message_port<T>: T must be a movable object type");

 public:
  /// A port that belongs to no channel: post_message returns false.
  message_port() noexcept = default;
  message_port(message_port&& other) noexcept
      : core_(std::move(other.core_)), side_(other.side_) {}
  message_port& operator=(message_port&& other) noexcept {
    if (this != &other) {
      detach();
      core_ = std::move(other.core_);
      side_ = other.side_;
    }
    return *this;
  }
  message_port(const message_port&) = delete;
  message_port& operator=(const message_port&) = delete;
  ~message_port() { detach(); }

  /// Queues `msg` for the other port, after everything this port posted
  /// before. True: it will be delivered exactly once (or destroyed unread if
  /// the receiving port object or its loop goes away first). False: not
  /// queued, `msg` left as it was: the channel is closed (closed()), or
  /// `capacity` messages already wait unread at the other port (call again
  /// from on_drain). Never blocks.
  [[nodiscard]] bool post_message(T&& msg) { return send(std::move(msg)); }
  [[nodiscard]] bool post_message(const T& msg)
    requires std::is_copy_constructible_v<T>
  {
    return send(msg);
  }

  /// Sets the handler of received messages, `f(T)` (replacing any earlier
  /// one), binds the port to this thread's loop and starts delivery
  /// (messages queued before wait for it, as in Node).
  template <class F>
    requires std::invocable<F&, T&&>
  void on_message(F&& f) {
    detail::port_on_message(
        checked(), side_,
        [h = std::forward<F>(f)](detail::inbox_node* n) mutable {
          h(std::move(static_cast<detail::message_node<T>*>(n)->value));
        });
  }

  /// `f()` runs once the channel is closed (by either side, or because a
  /// port object or its loop went away) and every message queued to this
  /// port before that has been delivered. Binds the port.
  template <class F>
    requires std::invocable<F&>
  void on_close(F&& f) {
    detail::port_on_close(checked(), side_, std::forward<F>(f));
  }

  /// `f()` runs after a post_message that returned false because the other
  /// port was full, once that port has read half its capacity: post again.
  /// Binds the port.
  template <class F>
    requires std::invocable<F&>
  void on_drain(F&& f) {
    detail::port_on_drain(checked(), side_, std::forward<F>(f));
  }

  /// Closes the channel: no more messages either way (post_message returns
  /// false); both ports deliver what was already queued, then run on_close.
  /// Idempotent.
  void close() noexcept {
    if (core_ != nullptr) {
      detail::port_close(*core_);
    }
  }

  /// Whether this port keeps its loop alive (default: yes). Binds the port.
  void ref() { detail::port_set_ref(checked(), side_, true); }
  void unref() { detail::port_set_ref(checked(), side_, false); }
  bool has_ref() const noexcept { return core_ != nullptr && detail::port_has_ref(*core_, side_); }

  /// The channel is closed (or this port belongs to none).
  bool closed() const noexcept { return core_ == nullptr || detail::port_closed(*core_); }
  /// Messages this port posted that the other port has not yet finished
  /// receiving (at most the channel's capacity).
  std::size_t backlog() const noexcept {
    return core_ == nullptr ? 0 : detail::port_backlog(*core_, side_);
  }

 private:
  friend class message_channel<T>;
  message_port(std::shared_ptr<detail::channel_core> core, int side) noexcept
      : core_(std::move(core)), side_(side) {}

  template <class V>
  bool send(V&& v) {
    if (core_ == nullptr || detail::port_reserve(*core_, side_) != 0) {
      return false;
    }
    std::unique_ptr<detail::message_node<T>> n;
    try {
      n = std::make_unique<detail::message_node<T>>(std::forward<V>(v));
    } catch (...) {
      detail::port_unreserve(*core_, side_);
      throw;
    }
    detail::port_push(*core_, side_, n.release());
    return true;
  }

  detail::channel_core& checked() const;

  void detach() noexcept {
    if (core_ != nullptr) {
      detail::port_detach(*core_, side_);
      core_.reset();
    }
  }

  std::shared_ptr<detail::channel_core> core_;
  int side_ = 0;
};

namespace detail {
[[noreturn]] void throw_detached_port();
}

template <class T>
detail::channel_core& message_port<T>::checked() const {
  if (core_ == nullptr) {
    detail::throw_detached_port();
  }
  return *core_;
}

/// Two entangled ports (Node's MessageChannel). Creates two "MESSAGEPORT"
/// resources, port1's then port2's (trigger: the current execution id; the
/// context captured now is the one their callbacks run in, on any thread).
/// Move port1 and port2 out to where they are used.
template <class T>
class message_channel {
 public:
  explicit message_channel(message_channel_options options = {})
      : message_channel(detail::make_channel(options.capacity)) {}

  message_port<T> port1;
  message_port<T> port2;

 private:
  explicit message_channel(const std::shared_ptr<detail::channel_core>& core)
      : port1(core, 0), port2(core, 1) {}
};

/// Options of a worker.
struct worker_options {
  /// The worker thread's name (pthread_setname_np; Linux keeps 15 bytes).
  std::string name{};
};

namespace detail {

class worker_core;

/// Starts the thread: `body` is the whole worker (it calls the user's
/// function with its arguments and returns the exit code it asks for).
std::shared_ptr<worker_core> start_worker(worker_options options, unique_function<int()> body);
void worker_on_online(worker_core& w, unique_function<void()> fn);
void worker_on_error(worker_core& w, unique_function<void(std::exception_ptr)> fn);
void worker_on_exit(worker_core& w, unique_function<void(int)> fn);
promise<int> worker_terminate(worker_core& w);
void worker_set_ref(worker_core& w, bool refed);
bool worker_has_ref(const worker_core& w) noexcept;
std::uint64_t worker_thread_id(const worker_core& w) noexcept;
std::optional<int> worker_exit_code(const worker_core& w) noexcept;
void worker_release(std::shared_ptr<worker_core>& w) noexcept;
[[noreturn]] void throw_detached_worker();

}  // namespace detail

/// A thread with its own event_loop (Node's Worker). The constructor (on a
/// thread that has a loop: usage_error otherwise) creates the "WORKER"
/// resource (trigger: the current execution id) and starts the thread,
/// which:
///   1. constructs its event_loop (its top level has a fresh execution id,
///      trigger 0, and no async_local_storage store: each thread its own);
///   2. calls fn(args...) there, the arguments as lvalues that live until
///      step 3 is over (so fn may keep references to them, e.g. a port);
///      fn may return void or an exit code;
///   3. runs the loop until it has no work left, terminate() or
///      this_worker::exit();
///   4. destroys the loop (work that never ran is dropped), then reports.
/// The exit code: this_worker::exit's, else 1 after terminate() or an
/// exception (escaping fn or any callback with no uncaught-exception
/// handler), else fn's result, else 0.
///
/// On the parent's loop, each in the WORKER resource's scope: on_online
/// when the worker's loop exists, on_error(exception) if one escaped (the
/// worker's own exception object: what() intact), then on_exit(code); then
/// WORKER's `destroy`. An unref()'d worker does not keep the parent alive;
/// a running one does (Node's rule).
///
/// Destroying a worker object (on its parent's thread) calls terminate()
/// and waits for the thread: a worker stuck in code that never returns to
/// its loop, and ignores this_worker::stop_requested(), blocks it (the
/// rule of std::jthread). Its callbacks are dropped without running.
class worker {
 public:
  template <class F, class... A>
    requires std::invocable<std::decay_t<F>&, std::decay_t<A>&...>
  explicit worker(F&& fn, A&&... args)
      : worker(worker_options{}, std::forward<F>(fn), std::forward<A>(args)...) {}

  template <class F, class... A>
    requires std::invocable<std::decay_t<F>&, std::decay_t<A>&...>
  worker(worker_options options, F&& fn, A&&... args)
      : core_(detail::start_worker(
            std::move(options),
            [fn = std::forward<F>(fn), args = std::tuple<std::decay_t<A>...>(
                                           std::forward<A>(args)...)]() mutable -> int {
              using R = decltype(std::apply(fn, args));
              if constexpr (std::is_void_v<R>) {
                std::apply(fn, args);
                return 0;
              } else {
                static_assert(std::is_convertible_v<R, int>,
                              "tether::worker: the function must return void or an exit code "
                              "(int)");
                return static_cast<int>(std::apply(fn, args));
              }
            })) {}

  worker(worker&&) noexcept = default;
  worker& operator=(worker&& other) noexcept {
    if (this != &other) {
      detail::worker_release(core_);
      core_ = std::move(other.core_);
    }
    return *this;
  }
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;
  ~worker() { detail::worker_release(core_); }

  template <class F>
    requires std::invocable<F&>
  void on_online(F&& f) {
    detail::worker_on_online(checked(), std::forward<F>(f));
  }
  template <class F>
    requires std::invocable<F&, std::exception_ptr>
  void on_error(F&& f) {
    detail::worker_on_error(checked(), std::forward<F>(f));
  }
  template <class F>
    requires std::invocable<F&, int>
  void on_exit(F&& f) {
    detail::worker_on_exit(checked(), std::forward<F>(f));
  }

  /// Asks the worker to stop: this_worker::stop_requested() becomes true
  /// at once, and its loop runs no more callbacks after the current one
  /// (at its next loop turn); exit code 1. The promise resolves with the
  /// exit code, after on_exit (at once if it has exited already).
  promise<int> terminate() { return detail::worker_terminate(checked()); }

  void ref() { detail::worker_set_ref(checked(), true); }
  void unref() { detail::worker_set_ref(checked(), false); }
  bool has_ref() const noexcept { return core_ != nullptr && detail::worker_has_ref(*core_); }

  /// Node's worker.threadId: 1, 2, ... in creation order (0 is the main
  /// thread's, see this_worker::thread_id()).
  std::uint64_t thread_id() const noexcept {
    return core_ == nullptr ? 0 : detail::worker_thread_id(*core_);
  }
  /// The exit code, once on_exit has been delivered.
  std::optional<int> exit_code() const noexcept {
    return core_ == nullptr ? std::nullopt : detail::worker_exit_code(*core_);
  }

 private:
  detail::worker_core& checked() const;
  std::shared_ptr<detail::worker_core> core_;
};

inline detail::worker_core& worker::checked() const {
  if (core_ == nullptr) {
    detail::throw_detached_worker();
  }
  return *core_;
}

/// What a worker's code can ask about itself (Node: worker_threads'
/// isMainThread, threadId, process.exit in a worker).
namespace this_worker {

/// True on a worker's thread.
bool is_worker_thread() noexcept;
/// The worker's thread_id(); 0 outside workers.
std::uint64_t thread_id() noexcept;
/// terminate() was called, or exit(): code that runs for long without
/// returning to the loop should check it (C++ cannot be preempted). False
/// outside workers.
bool stop_requested() noexcept;
/// The same as a std::stop_token (an empty one outside workers).
std::stop_token stop_token() noexcept;
/// Ends the worker with `code` (Node's process.exit in a worker): the
/// current callback (or fn) returns normally, then its loop runs nothing
/// more. Throws usage_error outside a worker's thread.
void exit(int code);

}  // namespace this_worker

}  // namespace tether
