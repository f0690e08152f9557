#pragma once
// net_fixture: loop_fixture plus what the TCP tests share: filtering the
// combined log down to some resources (server and client events interleave
// in an order libuv's poll decides), stopping the loop while handles stay
// open, a port nobody listens on, and a raw POSIX client.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <tether/net.hpp>

#include "runtime/loop_fixture.hpp"

namespace tether::test {

/// A plain blocking POSIX client (connected to 127.0.0.1:port when the
/// constructor returns: the kernel completes the handshake from the
/// listen backlog), for what tether's own socket cannot do on purpose:
/// abort with RST, or never read.
class raw_client {
 public:
  explicit raw_client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;
  ~raw_client() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  void send(std::string_view s) {
    EXPECT_EQ(::send(fd_, s.data(), s.size(), 0), static_cast<ssize_t>(s.size()));
  }
  /// Closes with RST (SO_LINGER 0) instead of FIN.
  void reset() {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

class net_fixture : public loop_fixture {
 protected:
  /// The entries of log() about the given ids (init/before/after/destroy),
  /// and the given markers, in order.
  std::vector<std::string> log_of(std::initializer_list<async_id> ids,
                                  std::initializer_list<std::string_view> marks = {}) const {
    std::vector<std::string> out;
    for (const std::string& e : log()) {
      if (e.find(' ') == std::string::npos) {
        if (std::find(marks.begin(), marks.end(), e) != marks.end()) {
          out.push_back(e);
        }
        continue;
      }
      if (std::find(ids.begin(), ids.end(), id_of(e)) != ids.end()) {
        out.push_back(e);
      }
    }
    return out;
  }

  /// Ends the current run() after this loop iteration, whatever is still
  /// open (a listening server keeps run() going forever).
  void stop_loop() { uv_stop(loop().native_handle()); }

  /// A port that was free a moment ago and has nobody listening now.
  static std::uint16_t closed_port() {
    net::server s = net::server::listen("127.0.0.1", 0);
    const std::uint16_t p = s.port();
    s.close();
    return p;
  }

 private:
  // "init TCPWRAP 7 trigger 1" -> 7; "before 7" -> 7.
  static async_id id_of(const std::string& e) {
    std::istringstream in(e);
    std::string word;
    in >> word;
    if (word == "init") {
      in >> word;  // the type
    }
    async_id id = 0;
    in >> id;
    return id;
  }
};

}  // namespace tether::test
