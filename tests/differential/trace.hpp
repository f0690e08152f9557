#pragma once
// The C++ half of the differential trace (tests/differential/README.md).
// trace.js prints the same lines from Node.
//
// Every line goes straight to fd 1 with write(2): nothing is buffered, so the
// order on stdout is the order of events even if the program dies, and no
// async resource is ever created (so logging from a hook cannot recurse).
//
//   init <Type> #<id> trigger=#<tid> exec=#<eid>   (eid: execution id inside init)
//   before #<id> / after #<id> / destroy #<id> / resolve #<id>
//   log <words...> exec=#<eid> trigger=#<tid>        (trace::log from a callback)
//   note <words...>                                  (trace::note: no ids)
//   differs <words...>        (trace::differs: a documented difference from Node)
//
// normalise.py renumbers every #<n> by first appearance (#0 and #1 stay: no
// resource and the main thread's top level).

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <limits>
#include <cstddef>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>

namespace trace {

/// An async id printed as #<n>, so the normaliser renumbers it.
struct id {
  tether::async_id value;
};
inline std::ostream& operator<<(std::ostream& os, id i) { return os << '#' << i.value; }

inline void write_line(std::string line) {
  line.push_back('\n');
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(1, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;
    }
    done += static_cast<std::size_t>(n);
  }
}

template <class... A>
std::string join(std::string_view head, const A&... args) {
  std::ostringstream os;
  os << head;
  ((os << ' ' << args), ...);
  return os.str();
}

/// "#<n>": an id as text (for building "key=#<n>" words).
inline std::string hash(tether::async_id i) { return "#" + std::to_string(i); }

namespace detail {
inline tether::async_hook make_hook() {
  tether::hook_callbacks cb;
  cb.init = [](tether::async_id i, std::string_view type, tether::async_id trigger, tether::resource&) {
    write_line(join("init", type, id{i}, "trigger=" + hash(trigger),
                    "exec=" + hash(tether::execution_async_id())));
  };
  cb.before = [](tether::async_id i) { write_line(join("before", id{i})); };
  cb.after = [](tether::async_id i) { write_line(join("after", id{i})); };
  cb.destroy = [](tether::async_id i) { write_line(join("destroy", id{i})); };
  cb.promise_resolve = [](tether::async_id i) { write_line(join("resolve", id{i})); };
  return tether::create_hook(std::move(cb));
}
}  // namespace detail

/// The tracing hook (created on first use, disabled until start()).
inline tether::async_hook& hook() {
  static tether::async_hook h = detail::make_hook();
  return h;
}

/// Enables the tracing hook: call first thing in main (trace.js enables its
/// hook when it is required).
inline void start() { hook().enable(); }
inline void enable() { hook().enable(); }
inline void disable() { hook().disable(); }

/// "log <args...> exec=#<execution id> trigger=#<trigger id>"
template <class... A>
void log(const A&... args) {
  write_line(join("log", args..., "exec=" + hash(tether::execution_async_id()),
                  "trigger=" + hash(tether::trigger_async_id())));
}

/// "note <args...>": output that carries no ids.
template <class... A>
void note(const A&... args) {
  write_line(join("note", args...));
}

/// "differs <args...>": output where tether differs from Node on purpose. Not
/// compared with Node's; checked against <scenario>.tether.expected instead.
template <class... A>
void differs(const A&... args) {
  write_line(join("differs", args...));
}

/// A double as JavaScript prints it, for the usual ranges: the shortest text
/// that reads back the same ("5", "2.5", "288.6749902572095"), "NaN",
/// "Infinity".
inline std::string number(double v) {
  if (v != v) {
    return "NaN";
  }
  if (v == std::numeric_limits<double>::infinity() || v == -std::numeric_limits<double>::infinity()) {
    return v > 0 ? "Infinity" : "-Infinity";
  }
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

/// The store of `s` as text: "-" when there is none (undefined in Node).
template <class T>
std::string store(const tether::async_local_storage<T>& s) {
  const T* p = s.get_store();
  if (p == nullptr) {
    return "-";
  }
  std::ostringstream os;
  os << *p;
  return os.str();
}

}  // namespace trace
