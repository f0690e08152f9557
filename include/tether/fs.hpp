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
// ec.message() is "no such file or directory (ENOENT)". The loop stays usable
// after any failure. On failure the value argument is empty / zero.
//
// Loop-thread only: each call uses the calling thread's current loop, whose
// run() keeps going until every request has completed. Each call allocates
// one request (two for read_file/write_file, reused along the chain), and the
// callback is stored inline when its captures fit 48 bytes. The memory stays
// valid until libuv's completion; the callback is moved out and the request's
// buffers released before it is invoked.
//
// If the loop is destroyed while requests are in flight, the destructor
// waits for libuv to finish them (a request in the thread pool cannot be
// abandoned); see docs for whether their callbacks run (README of the runtime).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include <tether/detail/unique_function.hpp>

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

/// Opens `path` with POSIX O_* `flags` (from <fcntl.h>; O_CLOEXEC is added)
/// and `mode` for a created file. The callback gets the file descriptor; the
/// caller owns it (close() it).
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

}  // namespace tether::fs
