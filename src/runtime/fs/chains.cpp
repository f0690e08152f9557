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

/// A chain of libuv requests, one at a time, each its own resource. Two
/// request slots are used in turn: the next request is started from inside
/// the current one's callback scope (so it is triggered by it), and so
/// before the current one is destroyed. The user's handler runs inside the
/// last request's scope.
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

  /// The file is open (fd_): start the first request of the chain's own.
  virtual void opened() = 0;
  /// A request of the chain's own (stage fstat or transfer) finished with
  /// libuv's `err` (0: success): start the next one, or close_file(), or fail().
  virtual void step_done(const uv_fs_t& done, int err) = 0;
  /// Moves the handler and the result out of the chain and invokes it.
  virtual void deliver() = 0;

  /// Starts the next request in the free slot; a negative libuv code if it
  /// could not be started (nothing then waits for it).
  template <class Start>
  int issue(stage next, Start&& start_uv);
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
    chain* owner = nullptr;
  };

  static void on_step(uv_fs_t* req);
  /// Runs inside the finished request's callback scope.
  void advance(const uv_fs_t& done);
  void finish();
  void abandon(step& s, const uv_fs_t& done) noexcept;

  std::string_view type_;
  step steps_[2];
  unsigned free_slot_ = 0;
  const char* failed_syscall_ = "";
  bool finished_ = false;
};

template <class Start>
int chain::issue(stage next, Start&& start_uv) {
  step& s = steps_[free_slot_];
  s.owner = this;
  const int rc = s.start(loop_, type_, &chain::on_step, std::forward<Start>(start_uv));
  if (rc < 0) {
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
  if (held_back(req, &chain::on_step)) {
    return;
  }
  step& s = static_cast<step&>(fs_request::of(req));
  chain& c = *s.owner;
  // The request's own allocations go now; result and statbuf stay readable.
  uv_fs_req_cleanup(req);
  if (c.loop_.closing()) {
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

// Opening and closing are every chain's; what comes between is its own.
void chain::advance(const uv_fs_t& done) {
  const int err = error_of(done);
  switch (stage_) {
    case stage::open:
      if (err != 0) {
        return fail(err, "open");
      }
      fd_ = static_cast<uv_file>(done.result);
      return opened();
    case stage::close:
      if (err != 0) {
        return fail(err, "close");
      }
      return finish();
    case stage::fstat:
    case stage::transfer:
      return step_done(done, err);
  }
}

// The loop is going away: no more requests and no user code. A file the
// chain opened is closed synchronously so that no descriptor leaks.
void chain::abandon(step& s, const uv_fs_t& done) noexcept {
  if (stage_ == stage::open && done.result >= 0) {
    fd_ = static_cast<uv_file>(done.result);
  }
  emit_destroy(s);
  if (fd_ >= 0) {
    close_now(loop_.uv(), fd_);
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
    close_now(loop_.uv(), fd);  // could not even queue the close
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

template <class Chain>
void start_chain(std::unique_ptr<Chain> c, int flags, int mode) {
  c->start(flags, mode);  // throws: `c` is deleted
  c.release();            // owned by its requests until the last one completes
}

template <class Handler>
void start_read_file(std::string path, Handler h, std::string_view type) {
  start_chain(std::make_unique<read_file_chain<Handler>>(tether::detail::current_core(),
                                                         std::move(path), type, std::move(h)),
              O_RDONLY, 0);
}

template <class Handler>
void start_write_file(std::string path, std::string data, Handler h, std::string_view type) {
  start_chain(std::make_unique<write_file_chain<Handler>>(tether::detail::current_core(),
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
