// docs/dns.md: dns::lookup, Node's dns.lookup (getaddrinfo on the pool).
#include <tether/debug.hpp>
#include <tether/dns.hpp>
#include <tether/event_loop.hpp>
#include <tether/net.hpp>
#include <tether/promise.hpp>
#include <tether/uv_error.hpp>

#include <string>
#include <system_error>
#include <vector>

tether::promise<std::string> resolve_both() {
  std::string out;
  std::vector<tether::net::address> local = co_await tether::dns::lookup("localhost", {.family = 4});
  for (const tether::net::address& a : local) {
    out += a.ip + " ";  // 127.0.0.1
  }
  try {
    co_await tether::dns::lookup("no-such-host.invalid");
  } catch (const tether::uv_error& e) {
    out += e.syscall() + " " + e.path();  // getaddrinfo no-such-host.invalid
  }
  co_return out;
}

int main() {
  tether::event_loop loop;
  std::string result;
  auto task = resolve_both().then([&](std::string s) { result = std::move(s); });
  // The callback form.
  std::size_t count = 0;
  tether::dns::lookup("127.0.0.1", {}, [&](std::error_code ec, std::vector<tether::net::address> all) {
    count = ec ? 0 : all.size();
  });
  loop.run();
  tether::debug(result, "|", count);
  return result == "127.0.0.1 getaddrinfo no-such-host.invalid" && count == 1 ? 0 : 1;
}
