// tether::debug_to from several threads, and into a full non-blocking pipe:
// a line under 4 KiB is one write(2), so lines never interleave; a full
// non-blocking fd is waited for, so nothing is lost.
#include <tether/debug.hpp>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

/// Reads `fd` until EOF on another thread.
class pipe_reader {
 public:
  explicit pipe_reader(int fd, std::chrono::milliseconds start_after = {})
      : thread_([this, fd, start_after] {
          std::this_thread::sleep_for(start_after);
          char buf[4096];
          for (;;) {
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n <= 0) {
              return;
            }
            data_.append(buf, static_cast<std::size_t>(n));
          }
        }) {}
  /// Everything read, once the write end is closed.
  std::string finish() {
    thread_.join();
    return data_;
  }

 private:
  std::string data_;
  std::thread thread_;
};

TEST(DebugToThreads, LinesFromSeveralThreadsNeverInterleave) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pipe_reader reader(fds[0]);
  constexpr int threads = 4;
  constexpr int lines = 500;
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([t, fd = fds[1]] {
      const std::string filler(200, static_cast<char>('a' + t));
      for (int i = 0; i < lines; ++i) {
        ASSERT_TRUE(tether::debug_to(fd, "thread", t, "line", i, filler));
      }
    });
  }
  for (auto& w : writers) {
    w.join();
  }
  ::close(fds[1]);
  const std::string out = reader.finish();
  ::close(fds[0]);

  std::istringstream in(out);
  std::string line;
  std::map<int, int> next;  // per thread, the next line number expected
  int count = 0;
  while (std::getline(in, line)) {
    int t = -1;
    int i = -1;
    char filler[256] = {};
    ASSERT_EQ(std::sscanf(line.c_str(), "thread %d line %d %255s", &t, &i, filler), 3) << line;
    ASSERT_GE(t, 0);
    ASSERT_LT(t, threads);
    EXPECT_EQ(i, next[t]++) << "thread " << t << "'s lines out of order";
    EXPECT_EQ(std::string(filler), std::string(200, static_cast<char>('a' + t))) << line;
    ++count;
  }
  EXPECT_EQ(count, threads * lines);
}

TEST(DebugToThreads, AFullNonBlockingPipeIsWaitedForAndNothingIsLost) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::fcntl(fds[1], F_SETFL, ::fcntl(fds[1], F_GETFL) | O_NONBLOCK), 0);
  // Fill the pipe until the kernel refuses more.
  const std::string chunk(4096, '.');
  std::size_t filled = 0;
  for (;;) {
    const ssize_t n = ::write(fds[1], chunk.data(), chunk.size());
    if (n < 0) {
      ASSERT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK);
      break;
    }
    filled += static_cast<std::size_t>(n);
  }
  // Drained only later: debug_to must wait, not drop or fail.
  pipe_reader reader(fds[0], std::chrono::milliseconds(50));
  const std::string line(10000, 'L');
  EXPECT_TRUE(tether::debug_to(fds[1], line));
  ::close(fds[1]);
  const std::string out = reader.finish();
  ::close(fds[0]);
  ASSERT_EQ(out.size(), filled + line.size() + 1);
  EXPECT_EQ(out.substr(filled), line + "\n");
}

}  // namespace
