// tether::debug: Node's process._rawDebug. Synchronous, one line on stderr,
// no async resource, safe inside hook callbacks. tether::debug_to: the same
// line to a given file descriptor (Node's fs.writeSync(fd, ...)).
#include <tether/debug.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tether/async_hooks.hpp>

#include "support/hook_recorder.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::internal::CaptureStderr;
using ::testing::internal::GetCapturedStderr;
using tether::async_id;
using tether::test::hook_recorder;

/// A pipe whose ends close with the object.
class test_pipe {
 public:
  test_pipe() {
    if (::pipe(fds_) != 0) {
      ADD_FAILURE() << "pipe: " << std::strerror(errno);
    }
  }
  ~test_pipe() {
    close_read();
    close_write();
  }
  test_pipe(const test_pipe&) = delete;
  test_pipe& operator=(const test_pipe&) = delete;

  int read_fd() const { return fds_[0]; }
  int write_fd() const { return fds_[1]; }
  void close_read() {
    if (fds_[0] >= 0) {
      ::close(std::exchange(fds_[0], -1));
    }
  }
  void close_write() {
    if (fds_[1] >= 0) {
      ::close(std::exchange(fds_[1], -1));
    }
  }
  /// Everything written so far (the write end is closed first).
  std::string drain() {
    close_write();
    std::string out;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(fds_[0], buf, sizeof buf);
      if (n <= 0) {
        return out;
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  int fds_[2] = {-1, -1};
};

/// What debug(p) should print for a pointer: 0x and lower-case hex digits.
std::string hex(const void* p) {
  char buf[2 + 2 * sizeof(void*) + 1];
  std::snprintf(buf, sizeof buf, "0x%jx",
                static_cast<std::uintmax_t>(reinterpret_cast<std::uintptr_t>(p)));
  return buf;
}

TEST(Debug, WritesArgumentsSeparatedBySpacesAndANewline) {
  CaptureStderr();
  tether::debug("a", 1, -2, true, 'x', 3.5);
  EXPECT_EQ(GetCapturedStderr(), "a 1 -2 true x 3.5\n");
}

TEST(Debug, NoArgumentsWritesAnEmptyLine) {
  CaptureStderr();
  tether::debug();
  EXPECT_EQ(GetCapturedStderr(), "\n");
}

TEST(Debug, WritesEveryKindOfString) {
  const std::string s = "string";
  const std::string_view sv = "view";
  const char* c_string = "c-string";
  char array[] = "array";
  CaptureStderr();
  tether::debug(s, sv, c_string, array, std::string_view{}, 'c');
  EXPECT_EQ(GetCapturedStderr(), "string view c-string array  c\n");
}

TEST(Debug, WritesNumbersExactly) {
  CaptureStderr();
  tether::debug(std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::uint64_t>::max(),
                static_cast<unsigned char>(200), static_cast<signed char>(-5),
                static_cast<short>(-300), 0u, 0.25, 1.5f, -0.0, false);
  EXPECT_EQ(GetCapturedStderr(),
            "-9223372036854775808 18446744073709551615 200 -5 -300 0 0.25 1.5 -0 false\n");
}

TEST(Debug, WritesPointersInHex) {
  int x = 0;
  int* p = &x;
  const int* cp = &x;
  int* null = nullptr;
  const std::string expected = hex(&x) + " " + hex(&x) + " 0x0\n";
  ASSERT_EQ(expected.substr(0, 2), "0x");
  CaptureStderr();
  tether::debug(p, cp, null);
  EXPECT_EQ(GetCapturedStderr(), expected);
}

TEST(Debug, WritesLinesLongerThanItsBuffer) {
  // The line is flushed in 4 KiB pieces; nothing may be lost or repeated.
  const std::string big(10000, 'z');
  CaptureStderr();
  tether::debug("start", big, 42);
  EXPECT_EQ(GetCapturedStderr(), "start " + big + " 42\n");
}

TEST(Debug, CreatesNoResource) {
  hook_recorder rec;
  rec.enable();
  // Ids come to each thread in blocks, so two ids taken one after the other
  // are consecutive unless a block ran out between them (once per 256). If
  // debug() took an id, they would never be: try a few times.
  bool consecutive = false;
  std::vector<std::string> expected;
  for (int attempt = 0; attempt < 3 && !consecutive; ++attempt) {
    tether::async_resource first("Job");
    CaptureStderr();
    tether::debug("no", "resource", first.id());
    const std::string out = GetCapturedStderr();
    tether::async_resource second("Job");
    EXPECT_EQ(out, "no resource " + std::to_string(first.id()) + "\n");
    consecutive = second.id() == first.id() + 1;
    expected.push_back("init Job " + std::to_string(first.id()) + " trigger 1");
    expected.push_back("init Job " + std::to_string(second.id()) + " trigger 1");
    expected.push_back("destroy " + std::to_string(second.id()));
    expected.push_back("destroy " + std::to_string(first.id()));
  }
  EXPECT_TRUE(consecutive) << "debug() allocated an async id";
  // No hook saw anything but the Jobs.
  EXPECT_THAT(rec.events(), ::testing::ElementsAreArray(expected));
  EXPECT_EQ(tether::execution_async_id(), 1u);
}

TEST(Debug, CallableInsideHookCallbacks) {
  hook_recorder rec(
      {.also = {
           .init = [](async_id id, std::string_view type, async_id trigger,
                      tether::resource&) { tether::debug("init", id, type, "trigger", trigger); },
           .before = [](async_id id) { tether::debug("before", id); },
           .after = [](async_id id) { tether::debug("after", id); },
           .destroy = [](async_id id) { tether::debug("destroy", id); }}});
  rec.enable();
  CaptureStderr();
  async_id id = 0;
  {
    tether::async_resource r("Job");
    id = r.id();
    r.run_in_async_scope([] {});
  }
  const std::string out = GetCapturedStderr();
  const std::string i = std::to_string(id);
  EXPECT_EQ(out,
            "init " + i + " Job trigger 1\nbefore " + i + "\nafter " + i + "\ndestroy " + i + "\n");
  EXPECT_THAT(rec.events(), ElementsAre("init Job " + i + " trigger 1", "before " + i, "after " + i,
                                        "destroy " + i));
}

TEST(Debug, NothingIsWrittenToStdout) {
  ::testing::internal::CaptureStdout();
  CaptureStderr();
  tether::debug("only", "stderr");
  EXPECT_EQ(GetCapturedStderr(), "only stderr\n");
  EXPECT_THAT(::testing::internal::GetCapturedStdout(), IsEmpty());
}

TEST(DebugTo, WritesTheSameLineToTheGivenFdAndNothingToStderr) {
  test_pipe p;
  CaptureStderr();
  EXPECT_TRUE(tether::debug_to(p.write_fd(), "a", 1, -2, true, 'x', 3.5));
  EXPECT_TRUE(tether::debug_to(p.write_fd()));
  EXPECT_EQ(GetCapturedStderr(), "");
  EXPECT_EQ(p.drain(), "a 1 -2 true x 3.5\n\n");
}

TEST(DebugTo, FdOneIsStdout) {
  ::testing::internal::CaptureStdout();
  EXPECT_TRUE(tether::debug_to(STDOUT_FILENO, "to", "stdout"));
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "to stdout\n");
}

TEST(DebugTo, LinesLongerThanTheBufferArriveWholeAndInOrder) {
  test_pipe p;  // 64 KiB of pipe buffer: room for the whole line
  const std::string big(10000, 'z');
  EXPECT_TRUE(tether::debug_to(p.write_fd(), "start", big, 42));
  EXPECT_EQ(p.drain(), "start " + big + " 42\n");
}

TEST(DebugTo, AnInvalidFdReturnsFalseWithErrnoSet) {
  errno = 0;
  EXPECT_FALSE(tether::debug_to(-1, "nowhere"));
  EXPECT_EQ(errno, EBADF);
  test_pipe p;
  const int closed = p.write_fd();
  p.close_write();
  errno = 0;
  EXPECT_FALSE(tether::debug_to(closed, "closed"));
  EXPECT_EQ(errno, EBADF);
  // A read-only fd is not writable either.
  errno = 0;
  EXPECT_FALSE(tether::debug_to(p.read_fd(), "read end"));
  EXPECT_EQ(errno, EBADF);
}

TEST(DebugTo, APipeWithNoReaderReturnsFalseWithEpipe) {
  // As any write(2), this raises SIGPIPE unless it is ignored (tether::net
  // ignores it, as Node does at start-up). Ignore it for the test.
  struct sigaction ignore {};
  struct sigaction old {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &old), 0);
  test_pipe p;
  p.close_read();
  errno = 0;
  EXPECT_FALSE(tether::debug_to(p.write_fd(), "gone"));
  EXPECT_EQ(errno, EPIPE);
  ::sigaction(SIGPIPE, &old, nullptr);
}

TEST(DebugTo, ALongLineStopsAtTheFirstFailedWrite) {
  // The line is written in 4 KiB pieces; after a failure the rest is dropped
  // (not retried piece by piece) and the result is false.
  errno = 0;
  EXPECT_FALSE(tether::debug_to(-1, std::string(20000, 'x')));
  EXPECT_EQ(errno, EBADF);
}

TEST(DebugTo, CreatesNoResourceAndWorksInsideHooks) {
  test_pipe p;
  const int fd = p.write_fd();
  hook_recorder rec({.also = {.init = [fd](async_id id, std::string_view type, async_id trigger,
                                           tether::resource&) {
                                tether::debug_to(fd, "init", id, type, "trigger", trigger);
                              },
                              .destroy = [fd](async_id id) { tether::debug_to(fd, "destroy", id); }}});
  rec.enable();
  async_id id = 0;
  {
    tether::async_resource r("Job");
    id = r.id();
  }
  rec.disable();
  const std::string i = std::to_string(id);
  EXPECT_EQ(p.drain(), "init " + i + " Job trigger 1\ndestroy " + i + "\n");
  EXPECT_THAT(rec.events(), ElementsAre("init Job " + i + " trigger 1", "destroy " + i));
}

TEST(DebugTo, AppendsToARegularFile) {
  char path[] = "/tmp/tether-debug-to-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(tether::debug_to(fd, "one"));
  EXPECT_TRUE(tether::debug_to(fd, "two", 2));
  ::lseek(fd, 0, SEEK_SET);
  char buf[64] = {};
  const ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  ::unlink(path);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0), "one\ntwo 2\n");
}

}  // namespace
