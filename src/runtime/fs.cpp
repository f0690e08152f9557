// fs on libuv's uv_fs_*: one FSREQCALLBACK resource per libuv request, the
// single-request operations (open, read, stat, ...) and Node's request chains
// (read_file, write_file).
//
// Every operation is the same three pieces: an *op* that knows how to start
// its libuv request and turn the finished request into a value, a *handler*
// that delivers the outcome (a Node-style callback, or a promise resolver),
// and the request that owns both plus the uv_fs_t until libuv's completion.

#include <tether/fs.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <uv.h>

#include <algorithm>
#include <memory>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

#include <tether/event_loop.hpp>
#include <tether/integration.hpp>
#include <tether/uv_error.hpp>

#include "runtime/loop_core.hpp"

namespace tether::fs {
namespace {

using detail::loop_core;

constexpr std::string_view callback_type = "FSREQCALLBACK";
constexpr std::string_view promise_type = "FSREQPROMISE";

// Node's ReadFileContext: known sizes are read in 512 KiB requests, files
// reporting size 0 (procfs, pipes) in 64 KiB requests until EOF; writeFile
// writes at most 512 KiB per request.
constexpr std::size_t read_chunk = std::size_t{512} * 1024;
constexpr std::size_t unknown_size_chunk = std::size_t{64} * 1024;
constexpr std::size_t write_chunk = std::size_t{512} * 1024;

// True once the loop is being torn down: a completion libuv delivers then
// (its destructor drains requests still in the thread pool) must not run
// user code, whose captures may already be gone. It frees the request and
// emits `destroy` instead, as the loop does for timers that never ran.
bool loop_closing(const loop_core& loop) noexcept { return loop.closing(); }

/// The result of an operation with no value.
struct none {};

/// Where an operation failed, for the error a promise rejects with.
struct failure_site {
  const char* syscall = "";
  std::string_view path;
  std::string_view dest;
};

int error_of(const uv_fs_t& req) noexcept {
  return req.result < 0 ? static_cast<int>(req.result) : 0;
}

uv_buf_t make_buf(char* base, std::size_t len) noexcept {
  uv_buf_t b;
  b.base = base;
  b.len = len;
  return b;
}

// --- handlers ----------------------------------------------------------------

/// Delivers to a Node-style callback: (ec, value), or (ec) for no value.
template <class T>
struct callback_handler {
  callback<T> cb;
  void complete(std::error_code ec, T value, const failure_site&) { cb(ec, std::move(value)); }
};

template <>
struct callback_handler<none> {
  callback<> cb;
  void complete(std::error_code ec, none, const failure_site&) { cb(ec); }
};

/// Settles a promise: resolves with the value, or rejects with a uv_error
/// naming the call and the path.
template <class T>
struct promise_handler {
  using promised = std::conditional_t<std::is_same_v<T, none>, void, T>;
  resolver<promised> res;

  void complete(std::error_code ec, T value, const failure_site& where) {
    if (ec) {
      res.reject(std::make_exception_ptr(
          uv_error(ec, where.syscall, std::string(where.path), std::string(where.dest))));
    } else if constexpr (std::is_void_v<promised>) {
      res.resolve();
    } else {
      res.resolve(std::move(value));
    }
  }
};

// --- single requests ----------------------------------------------------------

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

/// One libuv request and the resource that reports it. Lives from submit()
/// until the end of its completion (memory libuv writes to stays valid).
template <class Op, class Handler>
struct request final : resource {
  request(loop_core& l, Op o, Handler h) : loop(&l), op(std::move(o)), handler(std::move(h)) {}

  uv_fs_t req{};
  loop_core* loop;
  Op op;
  Handler handler;
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
void complete_request(uv_fs_t* req) {
  if (static_cast<request<Op, Handler>*>(req->data)->loop->defer_if_stopping(
          [req] { complete_request<Op, Handler>(req); })) {
    return;
  }
  std::unique_ptr<request<Op, Handler>> r(static_cast<request<Op, Handler>*>(req->data));
  std::error_code ec = make_uv_error_code(error_of(*req));
  typename Op::value_type value = failed_value<Op>();
  if (!ec) {
    try {
      value = r->op.take(*req);
    } catch (const std::bad_alloc&) {
      ec = make_uv_error_code(UV_ENOMEM);
    }
  }
  uv_fs_req_cleanup(req);
  // The handler leaves the request before it runs (as Asio's do_complete);
  // the request itself, the resource whose scope the handler runs in, goes
  // right after that scope.
  Handler handler = std::move(r->handler);
  loop_core& loop = *r->loop;
  if (loop_closing(loop)) {
    emit_destroy(*r);
    return;
  }
  loop.run_callback(
      *r, [&] { handler.complete(ec, std::move(value), r->op.site()); },
      [&] {
        emit_destroy(*r);
        r.reset();
      });
}

/// Starts one request: `init` now, in the caller's context. Throws uv_error
/// if libuv refuses it (only on out-of-memory or invalid arguments).
template <class Op, class Handler>
void submit(Op op, Handler handler, std::string_view type) {
  loop_core& loop = detail::current_core();
  auto r = std::make_unique<request<Op, Handler>>(loop, std::move(op), std::move(handler));
  r->req.data = r.get();
  emit_init(*r, type);
  if (const int rc = r->op.start(loop.uv(), &r->req, &complete_request<Op, Handler>); rc < 0) {
    uv_fs_req_cleanup(&r->req);
    emit_destroy(*r);
    const failure_site site = r->op.site();
    throw uv_error(make_uv_error_code(rc), site.syscall, std::string(site.path),
                   std::string(site.dest));
  }
  r.release();  // owned by libuv until complete_request
}

// --- chains -----------------------------------------------------------------

/// A chain of requests on one file (Node's ReadFileContext, writeFile's
/// open/writeAll/close): one resource per request, each started inside the
/// previous one's callback scope (so triggered by it and carrying its
/// context), the previous one destroyed right after that scope. Two slots
/// alternate because the next request is init-ed before the current one is
/// destroyed. The user's handler runs inside the last request's scope.
class chain {
 public:
  chain(const chain&) = delete;
  chain& operator=(const chain&) = delete;
  virtual ~chain() = default;

  /// Starts the first request (open). Throws uv_error if libuv refuses it;
  /// the caller then deletes the chain.
  void start(int flags, int mode);

 protected:
  enum class stage { open, fstat, transfer, close };

  chain(loop_core& loop, std::string path, std::string_view type)
      : loop_(loop), path_(std::move(path)), type_(type) {}

  /// Runs inside the finished request's callback scope: starts the next
  /// request, or finishes.
  virtual void advance(const uv_fs_t& done) = 0;
  /// Moves the handler and the result out of the chain and invokes it.
  virtual void deliver() = 0;

  /// Starts the next request in the free slot; a negative libuv code if it
  /// could not be started (the slot is then destroyed again).
  template <class Start>
  int issue(stage next, Start&& start_request);
  /// Records the first error, then closes the file if open, else finishes.
  void fail(int uv_code, const char* syscall);
  void close_file();
  void finish();

  failure_site site() const noexcept { return {failed_syscall_, path_, {}}; }

  loop_core& loop_;
  std::string path_;
  std::error_code error_;
  uv_file fd_ = -1;  // open and owned by the chain (not yet handed to a close request)
  stage stage_ = stage::open;

 private:
  struct step final : resource {
    uv_fs_t req{};
    chain* owner = nullptr;
  };

  static void on_step(uv_fs_t* req);
  void abandon(step& s, const uv_fs_t& done) noexcept;

  std::string_view type_;
  step steps_[2];
  unsigned free_slot_ = 0;
  const char* failed_syscall_ = "";
  bool finished_ = false;
};

template <class Start>
int chain::issue(stage next, Start&& start_request) {
  step& s = steps_[free_slot_];
  s.owner = this;
  s.req.data = &s;
  emit_init(s, type_);
  const int rc = start_request(loop_.uv(), &s.req, &chain::on_step);
  if (rc < 0) {
    uv_fs_req_cleanup(&s.req);
    emit_destroy(s);
    return rc;
  }
  stage_ = next;
  free_slot_ ^= 1U;
  return 0;
}

void chain::start(int flags, int mode) {
  const int rc = issue(stage::open, [&](uv_loop_t* l, uv_fs_t* r, uv_fs_cb cb) {
    return uv_fs_open(l, r, path_.c_str(), flags, mode, cb);
  });
  if (rc < 0) {
    throw uv_error(make_uv_error_code(rc), "open", path_);
  }
}

void chain::on_step(uv_fs_t* req) {
  step& s = *static_cast<step*>(req->data);
  chain& c = *s.owner;
  if (c.loop_.defer_if_stopping([req] { on_step(req); })) {
    return;
  }
  // The request's own allocations go now; result and statbuf stay readable.
  uv_fs_req_cleanup(req);
  if (loop_closing(c.loop_)) {
    c.abandon(s, *req);
    return;
  }
  c.loop_.run_callback(
      s, [&] { c.advance(*req); },
      [&] {
        emit_destroy(s);
        if (c.finished_) {
          std::unique_ptr<chain>(&c).reset();
        }
      });
}

// The loop is going away: no more requests and no user code. A file the
// chain opened is closed synchronously so that no descriptor leaks.
void chain::abandon(step& s, const uv_fs_t& done) noexcept {
  if (stage_ == stage::open && done.result >= 0) {
    fd_ = static_cast<uv_file>(done.result);
  }
  emit_destroy(s);
  if (fd_ >= 0) {
    uv_fs_t close_req;
    uv_fs_close(loop_.uv(), &close_req, fd_, nullptr);
    uv_fs_req_cleanup(&close_req);
  }
  std::unique_ptr<chain>(this).reset();
}

void chain::fail(int uv_code, const char* syscall) {
  if (!error_) {
    error_ = make_uv_error_code(uv_code);
    failed_syscall_ = syscall;
  }
  if (fd_ >= 0) {
    close_file();
  } else {
    finish();
  }
}

void chain::close_file() {
  const uv_file fd = std::exchange(fd_, -1);
  const int rc = issue(stage::close, [fd](uv_loop_t* l, uv_fs_t* r, uv_fs_cb cb) {
    return uv_fs_close(l, r, fd, cb);
  });
  if (rc < 0) {
    // Could not even queue the close: close synchronously, report.
    uv_fs_t close_req;
    uv_fs_close(loop_.uv(), &close_req, fd, nullptr);
    uv_fs_req_cleanup(&close_req);
    fail(rc, "close");
  }
}

void chain::finish() {
  finished_ = true;
  deliver();
}

/// read_file: open, fstat, read..., close.
template <class Handler>
class read_file_chain final : public chain {
 public:
  read_file_chain(loop_core& loop, std::string path, std::string_view type, Handler h)
      : chain(loop, std::move(path), type), handler_(std::move(h)) {}

 private:
  void advance(const uv_fs_t& done) override {
    const int err = error_of(done);
    switch (stage_) {
      case stage::open:
        if (err != 0) {
          return fail(err, "open");
        }
        fd_ = static_cast<uv_file>(done.result);
        return start_fstat();
      case stage::fstat:
        if (err != 0) {
          return fail(err, "fstat");
        }
        return start_reading(done.statbuf);
      case stage::transfer:
        if (err != 0) {
          return fail(err, "read");
        }
        return on_read(static_cast<std::size_t>(done.result));
      case stage::close:
        if (err != 0) {
          return fail(err, "close");
        }
        return finish();
    }
  }

  void start_fstat() {
    if (const int rc = issue(stage::fstat, [this](uv_loop_t* l, uv_fs_t* r, uv_fs_cb cb) {
          return uv_fs_fstat(l, r, fd_, cb);
        });
        rc < 0) {
      fail(rc, "fstat");
    }
  }

  void start_reading(const uv_stat_t& st) {
    // Only a regular file's size is trusted (Node: S_ISREG); others are read
    // until EOF.
    if ((st.st_mode & S_IFMT) == S_IFREG && st.st_size > 0) {
      if (st.st_size > data_.max_size()) {
        return fail(UV_EFBIG, "read");
      }
      size_ = static_cast<std::size_t>(st.st_size);
    }
    read_next();
  }

  void read_next() {
    std::size_t len = 0;
    try {
      if (size_ != 0) {
        data_.resize(size_);
        len = std::min(read_chunk, size_ - pos_);
      } else {
        data_.resize(pos_ + unknown_size_chunk);
        len = unknown_size_chunk;
      }
    } catch (const std::bad_alloc&) {
      return fail(UV_ENOMEM, "read");
    }
    const uv_buf_t buf = make_buf(data_.data() + pos_, len);
    if (const int rc = issue(stage::transfer, [&](uv_loop_t* l, uv_fs_t* r, uv_fs_cb cb) {
          return uv_fs_read(l, r, fd_, &buf, 1, -1, cb);
        });
        rc < 0) {
      fail(rc, "read");
    }
  }

  void on_read(std::size_t n) {
    pos_ += n;
    if (n == 0 || (size_ != 0 && pos_ >= size_)) {
      data_.resize(pos_);  // the file may have shrunk since fstat
      return close_file();
    }
    read_next();
  }

  void deliver() override {
    Handler h = std::move(handler_);
    std::string data = error_ ? std::string() : std::move(data_);
    data_ = std::string();
    h.complete(error_, std::move(data), site());
  }

  Handler handler_;
  std::string data_;
  std::size_t size_ = 0;  // 0: unknown, read until EOF
  std::size_t pos_ = 0;
};

/// write_file: open, write..., close.
template <class Handler>
class write_file_chain final : public chain {
 public:
  write_file_chain(loop_core& loop, std::string path, std::string data, std::string_view type,
                   Handler h)
      : chain(loop, std::move(path), type), handler_(std::move(h)), data_(std::move(data)) {}

 private:
  void advance(const uv_fs_t& done) override {
    const int err = error_of(done);
    switch (stage_) {
      case stage::open:
        if (err != 0) {
          return fail(err, "open");
        }
        fd_ = static_cast<uv_file>(done.result);
        return write_next();
      case stage::fstat:  // not used by write_file
        return finish();
      case stage::transfer:
        if (err != 0) {
          return fail(err, "write");
        }
        if (done.result == 0) {  // no progress: give up instead of spinning
          return fail(UV_EIO, "write");
        }
        pos_ += static_cast<std::size_t>(done.result);
        return write_next();
      case stage::close:
        if (err != 0) {
          return fail(err, "close");
        }
        return finish();
    }
  }

  void write_next() {
    if (pos_ >= data_.size()) {
      data_ = std::string();
      return close_file();
    }
    const uv_buf_t buf = make_buf(data_.data() + pos_, std::min(write_chunk, data_.size() - pos_));
    if (const int rc = issue(stage::transfer, [&](uv_loop_t* l, uv_fs_t* r, uv_fs_cb cb) {
          return uv_fs_write(l, r, fd_, &buf, 1, -1, cb);
        });
        rc < 0) {
      fail(rc, "write");
    }
  }

  void deliver() override {
    Handler h = std::move(handler_);
    data_ = std::string();
    h.complete(error_, none{}, site());
  }

  Handler handler_;
  std::string data_;
  std::size_t pos_ = 0;
};

template <class Chain>
void start_chain(std::unique_ptr<Chain> c, int flags, int mode) {
  c->start(flags, mode);  // throws: `c` is deleted
  c.release();            // owned by its requests until the last one completes
}

template <class Handler>
void start_read_file(std::string path, Handler h, std::string_view type) {
  start_chain(std::make_unique<read_file_chain<Handler>>(detail::current_core(), std::move(path),
                                                         type, std::move(h)),
              O_RDONLY, 0);
}

template <class Handler>
void start_write_file(std::string path, std::string data, Handler h, std::string_view type) {
  start_chain(std::make_unique<write_file_chain<Handler>>(detail::current_core(), std::move(path),
                                                          std::move(data), type, std::move(h)),
              O_WRONLY | O_CREAT | O_TRUNC, 0666);
}

}  // namespace

// --- callback forms -----------------------------------------------------------

void read_file(std::string path, callback<std::string> cb) {
  start_read_file(std::move(path), callback_handler<std::string>{std::move(cb)}, callback_type);
}

void write_file(std::string path, std::string data, callback<> cb) {
  start_write_file(std::move(path), std::move(data), callback_handler<none>{std::move(cb)},
                   callback_type);
}

void open(std::string path, int flags, int mode, callback<int> cb) {
  submit(open_op{std::move(path), flags, mode}, callback_handler<int>{std::move(cb)}, callback_type);
}

void read(int fd, std::size_t length, std::int64_t position, callback<std::string> cb) {
  submit(read_op{fd, position, std::string(length, '\0')},
         callback_handler<std::string>{std::move(cb)}, callback_type);
}

void write(int fd, std::string data, std::int64_t position, callback<std::size_t> cb) {
  submit(write_op{fd, position, std::move(data)}, callback_handler<std::size_t>{std::move(cb)},
         callback_type);
}

void close(int fd, callback<> cb) {
  submit(close_op{fd}, callback_handler<none>{std::move(cb)}, callback_type);
}

void stat(std::string path, callback<stat_result> cb) {
  submit(stat_op{std::move(path)}, callback_handler<stat_result>{std::move(cb)}, callback_type);
}

void fstat(int fd, callback<stat_result> cb) {
  submit(fstat_op{fd}, callback_handler<stat_result>{std::move(cb)}, callback_type);
}

void readdir(std::string path, callback<std::vector<dir_entry>> cb) {
  submit(scandir_op{std::move(path)}, callback_handler<std::vector<dir_entry>>{std::move(cb)},
         callback_type);
}

void mkdir(std::string path, int mode, callback<> cb) {
  submit(mkdir_op{std::move(path), mode}, callback_handler<none>{std::move(cb)}, callback_type);
}

void mkdir(std::string path, callback<> cb) { mkdir(std::move(path), 0777, std::move(cb)); }

void unlink(std::string path, callback<> cb) {
  submit(unlink_op{std::move(path)}, callback_handler<none>{std::move(cb)}, callback_type);
}

void rename(std::string from, std::string to, callback<> cb) {
  submit(rename_op{std::move(from), std::move(to)}, callback_handler<none>{std::move(cb)},
         callback_type);
}

// --- promise forms ------------------------------------------------------------

namespace promises {
namespace {

/// make_promise, then `start(handler)`; a synchronous failure (libuv
/// refusing the request) becomes a rejection, as in an async function.
template <class T, class Start>
promise<typename promise_handler<T>::promised> start_promise(Start&& start) {
  auto [p, r] = make_promise<typename promise_handler<T>::promised>();
  auto keep = r;  // to reject with if `start` throws after consuming `r`
  try {
    start(promise_handler<T>{std::move(r)});
  } catch (...) {
    keep.reject(std::current_exception());
  }
  return std::move(p);
}

}  // namespace

promise<std::string> read_file(std::string path) {
  return start_promise<std::string>([&](promise_handler<std::string> h) {
    start_read_file(std::move(path), std::move(h), promise_type);
  });
}

promise<void> write_file(std::string path, std::string data) {
  return start_promise<none>([&](promise_handler<none> h) {
    start_write_file(std::move(path), std::move(data), std::move(h), promise_type);
  });
}

promise<int> open(std::string path, int flags, int mode) {
  return start_promise<int>([&](promise_handler<int> h) {
    submit(open_op{std::move(path), flags, mode}, std::move(h), promise_type);
  });
}

promise<std::string> read(int fd, std::size_t length, std::int64_t position) {
  return start_promise<std::string>([&](promise_handler<std::string> h) {
    submit(read_op{fd, position, std::string(length, '\0')}, std::move(h), promise_type);
  });
}

promise<std::size_t> write(int fd, std::string data, std::int64_t position) {
  return start_promise<std::size_t>([&](promise_handler<std::size_t> h) {
    submit(write_op{fd, position, std::move(data)}, std::move(h), promise_type);
  });
}

promise<void> close(int fd) {
  return start_promise<none>(
      [&](promise_handler<none> h) { submit(close_op{fd}, std::move(h), promise_type); });
}

promise<stat_result> stat(std::string path) {
  return start_promise<stat_result>([&](promise_handler<stat_result> h) {
    submit(stat_op{std::move(path)}, std::move(h), promise_type);
  });
}

promise<stat_result> fstat(int fd) {
  return start_promise<stat_result>(
      [&](promise_handler<stat_result> h) { submit(fstat_op{fd}, std::move(h), promise_type); });
}

promise<std::vector<dir_entry>> readdir(std::string path) {
  return start_promise<std::vector<dir_entry>>([&](promise_handler<std::vector<dir_entry>> h) {
    submit(scandir_op{std::move(path)}, std::move(h), promise_type);
  });
}

promise<void> mkdir(std::string path, int mode) {
  return start_promise<none>([&](promise_handler<none> h) {
    submit(mkdir_op{std::move(path), mode}, std::move(h), promise_type);
  });
}

promise<void> unlink(std::string path) {
  return start_promise<none>([&](promise_handler<none> h) {
    submit(unlink_op{std::move(path)}, std::move(h), promise_type);
  });
}

promise<void> rename(std::string from, std::string to) {
  return start_promise<none>([&](promise_handler<none> h) {
    submit(rename_op{std::move(from), std::move(to)}, std::move(h), promise_type);
  });
}

}  // namespace promises
}  // namespace tether::fs
