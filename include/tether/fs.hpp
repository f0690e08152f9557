#pragma once
// Node's fs on libuv's uv_fs_*: Node-style callback forms in tether::fs.
//
// Every libuv request is one "FSREQCALLBACK" resource (Node's FSReqCallback):
// `init` fires in the calling context (trigger: the current execution id) and
// the callback later runs inside that resource's before/after, in the context
// captured at the call, on the loop thread; `destroy` follows right after
// its `after`. read_file and write_file are Node's chains of requests (open,
// fstat, read..., close; open, write..., close): each request is triggered by
// the previous one, and the callback runs inside the last one's scope, every
// earlier request already destroyed (Node: test-fsreqcallback-readFile.js).
//
// Errors reach the callback as a std::error_code in uv_category()
// (tether/uv_error.hpp): `ec == std::errc::no_such_file_or_directory`, and
// ec.message() is "no such file or directory (ENOENT)". The value argument
// is then empty (an fd of -1, a size of 0, an empty string or vector). The
// loop stays usable after any failure. The promise forms (fs::promises,
// below) reject with a tether::uv_error that also names the call and path.
//
// Loop-thread only: each call uses the calling thread's current loop, whose
// run() keeps going until every request has completed. Each call allocates
// one request (read_file/write_file: one chain with two request slots,
// reused along it); a callback whose captures fit 48 bytes is stored inline.
// The request's memory stays valid until libuv's completion; the callback
// is moved out and libuv's buffers released before it is invoked, the
// request itself right after (its resource must outlive the callback scope).
// A callback that throws is an uncaught exception of the loop (run()
// rethrows it, or the on_uncaught_exception handler gets it). The callback
// forms throw usage_error on a thread without an event_loop, and uv_error if
// libuv refuses a request outright (out of memory); neither calls back.
//
// Destroying the loop while requests are in flight: the destructor waits for
// libuv to finish them (a request already in the thread pool cannot be
// abandoned). Each still gets its `destroy`, its memory is freed, and a file
// that read_file/write_file had opened is closed; their callbacks are not
// run. A request that completes in the loop turn in which a callback threw
// (run() is about to rethrow) keeps its callback for the next run() (see
// event_loop::run()).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include <tether/detail/unique_function.hpp>
#include <tether/promise.hpp>

namespace tether::fs {

/// A Node-style completion: an error_code (empty on success), then the results.
template <class... R>
using callback = detail::unique_function<void(std::error_code, R...)>;

/// What stat() reports (a small subset of Node's fs.Stats).
struct stat_result {
  std::uint64_t size = 0;
  std::uint32_t mode = 0;  // st_mode: file type bits and permissions
  std::chrono::system_clock::time_point mtime{};
  bool is_file = false;
  bool is_directory = false;
};

enum class entry_type { unknown, file, directory, symlink, fifo, socket, character_device, block_device };

/// One entry of readdir() (Node's fs.Dirent).
struct dir_entry {
  std::string name;
  entry_type type = entry_type::unknown;

  bool is_file() const noexcept { return type == entry_type::file; }
  bool is_directory() const noexcept { return type == entry_type::directory; }
  friend bool operator==(const dir_entry&, const dir_entry&) = default;
};

/// Reads the whole file (Node's fs.readFile): four requests or more, open,
/// fstat, read (one per 512 KiB; files that report size 0, like /proc files,
/// are read in 64 KiB chunks until EOF), close. A failure after open still
/// closes the file first; the error is the failing step's ("read" on a
/// directory gives EISDIR).
void read_file(std::string path, callback<std::string> cb);

/// Creates or truncates `path` (mode 0666 before umask) and writes `data`
/// (Node's fs.writeFile): open, write (one per 512 KiB, more on short
/// writes), close.
void write_file(std::string path, std::string data, callback<> cb);

/// Opens `path` with POSIX O_* `flags` (from <fcntl.h>; libuv adds
/// O_CLOEXEC) and `mode` for a created file. The callback gets the file
/// descriptor (-1 on failure); the caller owns it (close() it).
void open(std::string path, int flags, int mode, callback<int> cb);

/// Reads up to `length` bytes at `position` (-1: the current file position).
/// The string holds what was read; empty at end of file.
void read(int fd, std::size_t length, std::int64_t position, callback<std::string> cb);

/// Writes `data` at `position` (-1: the current file position); the callback
/// gets the number of bytes written (possibly fewer than data.size()).
void write(int fd, std::string data, std::int64_t position, callback<std::size_t> cb);

void close(int fd, callback<> cb);

/// Follows symbolic links.
void stat(std::string path, callback<stat_result> cb);
void fstat(int fd, callback<stat_result> cb);

/// The entries of a directory, without "." and "..", sorted by name (byte
/// order). One "scandir" request.
void readdir(std::string path, callback<std::vector<dir_entry>> cb);

/// Creates one directory (not its parents); EEXIST if `path` exists.
void mkdir(std::string path, int mode, callback<> cb);
/// mkdir with mode 0777 (before umask), as Node's default.
void mkdir(std::string path, callback<> cb);

void unlink(std::string path, callback<> cb);

/// Renames `from` to `to`, replacing `to` if it is a file.
void rename(std::string from, std::string to, callback<> cb);

/// The same operations returning promises (Node's fs.promises). Each libuv
/// request is an "FSREQPROMISE" resource (Node's type for fs.promises
/// requests), with the same triggers and chains as above; the returned
/// promise is a "PROMISE" created first (trigger: the current execution id)
/// and settled inside the last request's scope. A failure rejects with a
/// tether::uv_error (a std::system_error: code() in uv_category(), what()
/// like "open '/nope': no such file or directory (ENOENT)", and syscall(),
/// path(), dest()). Nothing throws synchronously: even a request libuv
/// refuses at once comes back as a rejection.
///
///   tether::promise<> copy(std::string from, std::string to) {
///     std::string data = co_await tether::fs::promises::read_file(from);
///     co_await tether::fs::promises::write_file(to, std::move(data));
///   }
namespace promises {

[[nodiscard]] promise<std::string> read_file(std::string path);
[[nodiscard]] promise<void> write_file(std::string path, std::string data);
[[nodiscard]] promise<int> open(std::string path, int flags, int mode = 0666);
[[nodiscard]] promise<std::string> read(int fd, std::size_t length, std::int64_t position = -1);
[[nodiscard]] promise<std::size_t> write(int fd, std::string data, std::int64_t position = -1);
[[nodiscard]] promise<void> close(int fd);
[[nodiscard]] promise<stat_result> stat(std::string path);
[[nodiscard]] promise<stat_result> fstat(int fd);
[[nodiscard]] promise<std::vector<dir_entry>> readdir(std::string path);
[[nodiscard]] promise<void> mkdir(std::string path, int mode = 0777);
[[nodiscard]] promise<void> unlink(std::string path);
[[nodiscard]] promise<void> rename(std::string from, std::string to);

}  // namespace promises
}  // namespace tether::fs
