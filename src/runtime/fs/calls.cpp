// The fs calls that are one libuv request each (open, read, write, close,
// stat, fstat, readdir, mkdir, unlink, rename), in callback and promise form.
//
// Each is an *op* that knows how to start its uv_fs_* call and turn the
// finished request into a value, and a *handler* (fs/request.hpp) that
// delivers the outcome; request<Op, Handler> owns both, plus the uv_fs_t,
// and goes the way of every libuv request (runtime/request.hpp).

#include <tether/fs.hpp>

#include <sys/stat.h>
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <tether/event_loop.hpp>
#include <tether/integration.hpp>
#include <tether/uv_error.hpp>

#include "runtime/fs/request.hpp"
#include "runtime/loop_core.hpp"

namespace tether::fs {
namespace {

using namespace impl;  // NOLINT(google-build-using-namespace): this file's own toolbox

stat_result to_stat_result(const uv_stat_t& st) noexcept {
  stat_result r;
  r.size = st.st_size;
  r.mode = static_cast<std::uint32_t>(st.st_mode);
  const auto since_epoch =
      std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
  r.mtime = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
  r.is_file = (st.st_mode & S_IFMT) == S_IFREG;
  r.is_directory = (st.st_mode & S_IFMT) == S_IFDIR;
  return r;
}

entry_type to_entry_type(uv_dirent_type_t t) noexcept {
  switch (t) {
    case UV_DIRENT_FILE:
      return entry_type::file;
    case UV_DIRENT_DIR:
      return entry_type::directory;
    case UV_DIRENT_LINK:
      return entry_type::symlink;
    case UV_DIRENT_FIFO:
      return entry_type::fifo;
    case UV_DIRENT_SOCKET:
      return entry_type::socket;
    case UV_DIRENT_CHAR:
      return entry_type::character_device;
    case UV_DIRENT_BLOCK:
      return entry_type::block_device;
    case UV_DIRENT_UNKNOWN:
      break;
  }
  return entry_type::unknown;
}

// Each op: `value_type`, start() (issues its uv_fs_* with `cb`), take() (the
// value of a successful request, read before uv_fs_req_cleanup) and site().

struct open_op {
  using value_type = int;
  static constexpr value_type failed_value = -1;  // never a valid descriptor (0 is stdin)
  std::string path;
  int flags;
  int mode;
  int start(uv_loop_t* l, uv_fs_t* r, uv_fs_cb cb) {
    return uv_fs_open(l, r, path.c_str(), flags, mode, cb);
  }
  value_type take(uv_fs_t& r) noexcept { return static_cast<int>(r.result); }
  failure_site site() const noexcept { return {"open", path, {}}; }
};

struct read_op {
  using value_type = std::string;
  int fd;
  std::int64_t position;
  std::string buffer;
  int start(uv_loop_t* l, uv_fs_t* r, uv_fs_cb cb) {
    const uv_buf_t buf = make_buf(buffer.data(), buffer.size());
    return uv_fs_read(l, r, fd, &buf, 1, position, cb);
  }
  value_type take(uv_fs_t& r) {
    buffer.resize(static_cast<std::size_t>(r.result));
    return std::move(buffer);
  }
  failure_site site() const noexcept { return {"read", {}, {}}; }
};

struct write_op {
  using value_type = std::size_t;
  int fd;
  std::int64_t position;
  std::string data;
  int start(uv_loop_t* l, uv_fs_t* r, uv_fs_cb cb) {
    const uv_buf_t buf = make_buf(data.data(), data.size());
    return uv_fs_write(l, r, fd, &buf, 1, position, cb);
  }
  value_type take(uv_fs_t& r) noexcept {
    data = std::string();  // released before the callback runs
    return static_cast<std::size_t>(r.result);
  }
  failure_site site() const noexcept { return {"write", {}, {}}; }
};

struct close_op {
  using value_type = none;
  int fd;
  int start(uv_loop_t* l, uv_fs_t* r, uv_fs_cb cb) { return uv_fs_close(l, r, fd, cb); }
  value_type take(uv_fs_t&) noexcept { return {}; }
  failure_site site() const noexcept { return {"close", {}, {}}; }
};

struct stat_op {
  using value_type = stat_result;
  std::string path;
  int start(uv_loop_t* l, uv_fs_t* r, uv_fs_cb cb) { return uv_fs_stat(l, r, path.c_str(), cb); }
  value_type take(uv_fs_t& r) noexcept { return to_stat_result(r.statbuf); }
  failure_site site() const noexcept { return {"stat", path, {}}; }
};

struct fstat_op {
  using value_type = stat_result;
  int fd;
  int start(uv_loop_t* l, uv_fs_t* r, uv_fs_cb cb) { return uv_fs_fstat(l, r, fd, cb); }
  value_type take(uv_fs_t& r) noexcept { return to_stat_result(r.statbuf); }
  failure_site site() const noexcept { return {"fstat", {}, {}}; }
};

struct scandir_op {
  using value_type = std::vector<dir_entry>;
  std::string path;
  int start(uv_loop_t* l, uv_fs_t* r, uv_fs_cb cb) {
    return uv_fs_scandir(l, r, path.c_str(), 0, cb);
  }
  value_type take(uv_fs_t& r) {
    value_type entries;
    entries.reserve(static_cast<std::size_t>(r.result));
    uv_dirent_t ent;
    while (uv_fs_scandir_next(&r, &ent) != UV_EOF) {
      entries.push_back({ent.name, to_entry_type(ent.type)});
    }
    return entries;
  }
  failure_site site() const noexcept { return {"scandir", path, {}}; }
};

struct mkdir_op {
  using value_type = none;
  std::string path;
  int mode;
  int start(uv_loop_t* l, uv_fs_t* r, uv_fs_cb cb) {
    return uv_fs_mkdir(l, r, path.c_str(), mode, cb);
  }
  value_type take(uv_fs_t&) noexcept { return {}; }
  failure_site site() const noexcept { return {"mkdir", path, {}}; }
};

struct unlink_op {
  using value_type = none;
  std::string path;
  int start(uv_loop_t* l, uv_fs_t* r, uv_fs_cb cb) { return uv_fs_unlink(l, r, path.c_str(), cb); }
  value_type take(uv_fs_t&) noexcept { return {}; }
  failure_site site() const noexcept { return {"unlink", path, {}}; }
};

struct rename_op {
  using value_type = none;
  std::string from;
  std::string to;
  int start(uv_loop_t* l, uv_fs_t* r, uv_fs_cb cb) {
    return uv_fs_rename(l, r, from.c_str(), to.c_str(), cb);
  }
  value_type take(uv_fs_t&) noexcept { return {}; }
  failure_site site() const noexcept { return {"rename", from, to}; }
};

/// What a failed operation passes as its value: the op's failed_value, or empty.
template <class Op>
typename Op::value_type failed_value() {
  if constexpr (requires { Op::failed_value; }) {
    return Op::failed_value;
  } else {
    return {};
  }
}

template <class Op, class Handler>
struct request final : fs_request {
  request(Op o, Handler h) : op(std::move(o)), handler(std::move(h)) {}

  /// Inside the request's scope.
  void complete() {
    Handler h = std::move(handler);
    h.complete(ec, std::move(value), op.site());
  }

  /// libuv's completion: the outcome is taken out of the uv_fs_t, whose own
  /// allocations go at once, even if the callback is held back.
  static void on_done(uv_fs_t* req) {
    auto& r = tether::detail::request_of<request>(req);
    r.ec = make_uv_error_code(error_of(*req));
    if (!r.ec) {
      try {
        r.value = r.op.take(*req);
      } catch (const std::bad_alloc&) {
        r.ec = make_uv_error_code(UV_ENOMEM);
      }
    }
    uv_fs_req_cleanup(req);
    tether::detail::complete_request(r);
  }

  Op op;
  Handler handler;
  std::error_code ec;
  typename Op::value_type value = failed_value<Op>();
};

/// Starts one request: `init` now, in the caller's context. Throws uv_error
/// if libuv refuses it (only on out-of-memory or invalid arguments).
template <class Op, class Handler>
void submit(Op op, Handler handler, std::string_view type) {
  (void)tether::detail::start_request(
      std::make_unique<request<Op, Handler>>(std::move(op), std::move(handler)),
      tether::detail::current_core(), type, 0, [](request<Op, Handler>& r) {
        const int rc = r.op.start(r.loop->uv(), &r.req, &request<Op, Handler>::on_done);
        if (rc < 0) {
          const failure_site site = r.op.site();
          throw uv_error(make_uv_error_code(rc), site.syscall, std::string(site.path),
                         std::string(site.dest));
        }
        return rc;
      });
}

/// The callback form of an op.
template <class Op>
void with_callback(Op op, typename callback_handler<typename Op::value_type>::function cb) {
  submit(std::move(op), callback_handler<typename Op::value_type>{std::move(cb)}, callback_type);
}

/// The promise form of the op that `make()` returns. The op is built inside
/// the promise's try, so that even that (read's buffer) fails as a
/// rejection: the promise forms never throw.
template <class Make>
auto with_promise(Make make) {
  using value_type = typename std::invoke_result_t<Make&>::value_type;
  return start_promise<value_type>(
      [&](promise_handler<value_type> h) { submit(make(), std::move(h), promise_type); });
}

}  // namespace

void open(std::string path, int flags, int mode, callback<int> cb) {
  with_callback(open_op{std::move(path), flags, mode}, std::move(cb));
}

void read(int fd, std::size_t length, std::int64_t position, callback<std::string> cb) {
  with_callback(read_op{fd, position, std::string(length, '\0')}, std::move(cb));
}

void write(int fd, std::string data, std::int64_t position, callback<std::size_t> cb) {
  with_callback(write_op{fd, position, std::move(data)}, std::move(cb));
}

void close(int fd, callback<> cb) { with_callback(close_op{fd}, std::move(cb)); }

void stat(std::string path, callback<stat_result> cb) {
  with_callback(stat_op{std::move(path)}, std::move(cb));
}

void fstat(int fd, callback<stat_result> cb) { with_callback(fstat_op{fd}, std::move(cb)); }

void readdir(std::string path, callback<std::vector<dir_entry>> cb) {
  with_callback(scandir_op{std::move(path)}, std::move(cb));
}

void mkdir(std::string path, int mode, callback<> cb) {
  with_callback(mkdir_op{std::move(path), mode}, std::move(cb));
}

void mkdir(std::string path, callback<> cb) { mkdir(std::move(path), 0777, std::move(cb)); }

void unlink(std::string path, callback<> cb) {
  with_callback(unlink_op{std::move(path)}, std::move(cb));
}

void rename(std::string from, std::string to, callback<> cb) {
  with_callback(rename_op{std::move(from), std::move(to)}, std::move(cb));
}

namespace promises {

promise<int> open(std::string path, int flags, int mode) {
  return with_promise([&] { return open_op{std::move(path), flags, mode}; });
}

promise<std::string> read(int fd, std::size_t length, std::int64_t position) {
  return with_promise([&] { return read_op{fd, position, std::string(length, '\0')}; });
}

promise<std::size_t> write(int fd, std::string data, std::int64_t position) {
  return with_promise([&] { return write_op{fd, position, std::move(data)}; });
}

promise<void> close(int fd) { return with_promise([&] { return close_op{fd}; }); }

promise<stat_result> stat(std::string path) {
  return with_promise([&] { return stat_op{std::move(path)}; });
}

promise<stat_result> fstat(int fd) { return with_promise([&] { return fstat_op{fd}; }); }

promise<std::vector<dir_entry>> readdir(std::string path) {
  return with_promise([&] { return scandir_op{std::move(path)}; });
}

promise<void> mkdir(std::string path, int mode) {
  return with_promise([&] { return mkdir_op{std::move(path), mode}; });
}

promise<void> unlink(std::string path) {
  return with_promise([&] { return unlink_op{std::move(path)}; });
}

promise<void> rename(std::string from, std::string to) {
  return with_promise([&] { return rename_op{std::move(from), std::move(to)}; });
}

}  // namespace promises
}  // namespace tether::fs
