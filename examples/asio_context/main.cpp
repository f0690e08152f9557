// asio_context: an Asio server that gets per-request context in its logs
// from tether with no other change than linking tether::asio and setting a
// store where a request is parsed (README.md shows the diff). It drives
// itself with `--connections` concurrent clients on a 2-thread io_context
// and checks every log line for a context mix-up.
//
//   asio_context [--connections N]      (default 1000)
//
// Exit status: 0 when every client got its own answer and no log line was
// mixed up.

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>

#include <asio.hpp>

#include "load.hpp"
#include "logger.hpp"
#include "server.hpp"

namespace {

[[noreturn]] void usage(const char* problem) {
  std::fprintf(stderr, "asio_context: %s\nusage: asio_context [--connections N]\n", problem);
  std::exit(2);
}

std::uint64_t parse_connections(int argc, char** argv) {
  std::uint64_t connections = 1000;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--connections" && i + 1 < argc) {
      connections = std::strtoull(argv[++i], nullptr, 10);
    } else {
      usage("unknown option or missing value");
    }
  }
  if (connections == 0 || connections > 10000) {
    usage("--connections must be between 1 and 10000");
  }
  return connections;
}

// Two descriptors per connection (client and server side) in this process.
void ensure_descriptors(std::uint64_t connections) {
  rlimit limit{};
  const rlim_t wanted = static_cast<rlim_t>(2 * connections + 64);
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < wanted) {
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t connections = parse_connections(argc, argv);
  ensure_descriptors(connections);

  asio::io_context io;
  asio::thread_pool pricing(1);
  shop::server server(io, pricing);
  server.start();

  shop::load_result load;
  shop::start_load(io, server.endpoint(), connections, load, [&] { server.stop(); });

  std::thread second([&] { io.run(); });
  io.run();
  second.join();
  pricing.join();

  for (const std::string& line : shop::log().first_lines()) {
    std::printf("%s\n", line.c_str());
  }
  std::printf("...\n%llu connections, %llu answered, %llu failed; %llu log lines, "
              "%llu without context, %llu context mix-ups\n",
              static_cast<unsigned long long>(connections),
              static_cast<unsigned long long>(load.answered.load()),
              static_cast<unsigned long long>(load.failed.load()),
              static_cast<unsigned long long>(shop::log().lines()),
              static_cast<unsigned long long>(shop::log().without_context()),
              static_cast<unsigned long long>(shop::log().mixups()));
  const bool ok = load.answered == connections && server.requests_served() == connections &&
                  shop::log().mixups() == 0 && shop::log().without_context() == 0;
  return ok ? 0 : 1;
}
