// read_file and write_file: Node's chains of requests (open, fstat, read...,
// close; open, write..., close), in callback and promise form. Each request
// is its own resource, triggered by the one before it (it is started inside
// that one's callback scope), and the user's handler runs inside the last
// one's scope (Node: test-fsreqcallback-readFile.js).

#include <tether/fs.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <uv.h>

#include <algorithm>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include <tether/event_loop.hpp>
#include <tether/integration.hpp>
#include <tether/uv_error.hpp>

#include "runtime/fs/request.hpp"
#include "runtime/loop_core.hpp"

namespace tether::fs {
namespace {

using namespace impl;  // NOLINT(google-build-using-namespace): this file's own toolbox

// Node's ReadFileContext: known sizes are read in 512 KiB requests, files
// reporting size 0 (procfs, pipes) in 64 KiB requests until EOF; writeFile
// writes at most 512 KiB per request.
constexpr std::size_t read_chunk = std::size_t{512} * 1024;
constexpr std::size_t unknown_size_chunk = std::size_t{64} * 1024;
constexpr std::size_t write_chunk = std::size_t{512} * 1024;

/// A chain of libuv requests, one at a time, each its own resource. The next
/// request is started from inside the current one's callback scope (so it
/// is triggered by it), and so before the current one is destroyed; the
/// user's handler runs inside the last request's scope. The chain is owned
/// by the request in flight (each hands it on to the next it starts), and
/// so goes with the last one, or with any one the loop drops unrun.
class chain {
 public:
  chain(const chain&) = delete;
  chain& operator=(const chain&) = delete;
  /// A file still open (the loop dropped a request unrun) is closed
  /// synchronously, so that no descriptor leaks.
  virtual ~chain() {
    if (fd_ >= 0) {
      close_now(loop_.uv(), fd_);
    }
  }

  /// Starts the first request (open); from then on the chain owns itself
  /// through its requests. Throws uv_error if libuv refuses it (the chain
  /// is then deleted).
  static void start(std::unique_ptr<chain> c, int flags, int mode);

 protected:
  enum class stage { open, fstat, transfer, close };

  chain(loop_core& loop, std::string path, std::string_view type)
      : loop_(loop), path_(std::move(path)), type_(type) {}

  /// The file is open (fd_): start the first request of the chain's own.
  virtual void opened() = 0;
  /// A request of the chain's own (stage fstat or transfer) finished with
  /// libuv's `err` (0: success): start the next one, or close_file(), or fail().
  virtual void step_done(const uv_fs_t& done, int err) = 0;
  /// Moves the handler and the result out of the chain and invokes it.
  virtual void deliver() = 0;

  /// Starts the next request; a negative libuv code if it could not be
  /// started (nothing then waits for it).
  template <class Start>
  int issue(stage next, Start&& start_uv) noexcept;
  /// Records the first error, then closes the file if open, else finishes.
  void fail(int uv_code, const char* syscall);
  void close_file();

  failure_site site() const noexcept { return {failed_syscall_, path_, {}}; }

  loop_core& loop_;
  std::string path_;
  std::error_code error_;
  uv_file fd_ = -1;  // open and owned by the chain (not yet handed to a close request)
  stage stage_ = stage::open;

 private:
  struct step final : fs_request {
    std::unique_ptr<chain> owner;  // the chain, while this step is the one in flight

    void complete() {
      chain& c = *owner;
      c.holder_ = &owner;
      c.advance(req);
    }
    static void on_done(uv_fs_t* req);
  };

  /// Runs inside the finished request's callback scope.
  void advance(const uv_fs_t& done);

  std::string_view type_;
  std::unique_ptr<chain>* holder_ = nullptr;  // where the chain's owner is now
  const char* failed_syscall_ = "";
};

template <class Start>
int chain::issue(stage next, Start&& start_uv) noexcept {
  try {
    auto s = std::make_unique<step>();
    step* started = s.get();
    const int rc = tether::detail::start_request(
        std::move(s), loop_, type_, 0,
        [&](step& r) { return start_uv(loop_.uv(), &r.req, &step::on_done); });
    if (rc < 0) {
      return rc;
    }
    started->owner = std::move(*holder_);
    holder_ = &started->owner;
  } catch (const std::bad_alloc&) {
    return UV_ENOMEM;
  }
  stage_ = next;
  return 0;
}

void chain::start(std::unique_ptr<chain> c, int flags, int mode) {
  chain& self = *c;
  self.holder_ = &c;
  const int rc = self.issue(stage::open, [&](uv_loop_t* l, uv_fs_t* r, uv_fs_cb cb) {
    return uv_fs_open(l, r, self.path_.c_str(), flags, mode, cb);
  });
  if (rc < 0) {
    throw uv_error(make_uv_error_code(rc), "open", self.path_);  // `c` still owns the chain
  }
}

void chain::step::on_done(uv_fs_t* req) {
  step& s = tether::detail::request_of<step>(req);
  // The request's own allocations go now; result and statbuf stay readable.
  uv_fs_req_cleanup(req);
  // An opened file is the chain's from now on, even if the loop drops this
  // completion unrun: ~chain closes it then.
  if (s.owner->stage_ == stage::open && req->result >= 0) {
    s.owner->fd_ = static_cast<uv_file>(req->result);
  }
  tether::detail::complete_request(s);
}

// Opening and closing are every chain's; what comes between is its own.
void chain::advance(const uv_fs_t& done) {
  const int err = error_of(done);
  switch (stage_) {
    case stage::open:
      if (err != 0) {
        return fail(err, "open");
      }
      return opened();
    case stage::close:
      if (err != 0) {
        return fail(err, "close");
      }
      return deliver();
    case stage::fstat:
    case stage::transfer:
      return step_done(done, err);
  }
}

void chain::fail(int uv_code, const char* syscall) {
  if (!error_) {
    error_ = make_uv_error_code(uv_code);
    failed_syscall_ = syscall;
  }
  if (fd_ >= 0) {
    close_file();
  } else {
    deliver();
  }
}

void chain::close_file() {
  const uv_file fd = std::exchange(fd_, -1);
  const int rc = issue(stage::close, [fd](uv_loop_t* l, uv_fs_t* r, uv_fs_cb cb) {
    return uv_fs_close(l, r, fd, cb);
  });
  if (rc < 0) {
    close_now(loop_.uv(), fd);  // could not even queue the close
    fail(rc, "close");
  }
}

/// read_file: open, fstat, read..., close.
template <class Handler>
class read_file_chain final : public chain {
 public:
  read_file_chain(loop_core& loop, std::string path, std::string_view type, Handler h)
      : chain(loop, std::move(path), type), handler_(std::move(h)) {}

 private:
  void opened() override {
    if (const int rc = issue(stage::fstat, [this](uv_loop_t* l, uv_fs_t* r, uv_fs_cb cb) {
          return uv_fs_fstat(l, r, fd_, cb);
        });
        rc < 0) {
      fail(rc, "fstat");
    }
  }

  void step_done(const uv_fs_t& done, int err) override {
    const bool fstat = stage_ == stage::fstat;
    if (err != 0) {
      return fail(err, fstat ? "fstat" : "read");
    }
    if (fstat) {
      return start_reading(done.statbuf);
    }
    on_read(static_cast<std::size_t>(done.result));
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
  void opened() override { write_next(); }

  void step_done(const uv_fs_t& done, int err) override {
    if (err != 0) {
      return fail(err, "write");
    }
    if (done.result == 0) {  // no progress: give up instead of spinning
      return fail(UV_EIO, "write");
    }
    pos_ += static_cast<std::size_t>(done.result);
    write_next();
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

template <class Handler>
void start_read_file(std::string path, Handler h, std::string_view type) {
  chain::start(std::make_unique<read_file_chain<Handler>>(tether::detail::current_core(),
                                                          std::move(path), type, std::move(h)),
               O_RDONLY, 0);
}

template <class Handler>
void start_write_file(std::string path, std::string data, Handler h, std::string_view type) {
  chain::start(std::make_unique<write_file_chain<Handler>>(tether::detail::current_core(),
                                                           std::move(path), std::move(data), type,
                                                           std::move(h)),
               O_WRONLY | O_CREAT | O_TRUNC, 0666);
}

}  // namespace

void read_file(std::string path, callback<std::string> cb) {
  start_read_file(std::move(path), callback_handler<std::string>{std::move(cb)}, callback_type);
}

void write_file(std::string path, std::string data, callback<> cb) {
  start_write_file(std::move(path), std::move(data), callback_handler<none>{std::move(cb)},
                   callback_type);
}

namespace promises {

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

}  // namespace promises
}  // namespace tether::fs
