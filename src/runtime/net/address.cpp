// IP literals, sockaddrs and net::address: conversions in one place.

#include <netinet/in.h>

#include <cstring>
#include <string>

#include "runtime/net/tcp_state.hpp"

namespace tether::detail {

bool parse_ip(std::string_view host, std::uint16_t port, sockaddr_storage& out) noexcept {
  // uv_ip*_addr need a NUL-terminated string; longer than any IPv6 text
  // (45 chars, plus a zone) is not a literal.
  char text[64];
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host.size() >= sizeof text) {
    return false;
  }
  std::memcpy(text, host.data(), host.size());
  text[host.size()] = '\0';
  out = sockaddr_storage{};
  if (uv_ip4_addr(text, port, reinterpret_cast<sockaddr_in*>(&out)) == 0) {
    return true;
  }
  out = sockaddr_storage{};
  return uv_ip6_addr(text, port, reinterpret_cast<sockaddr_in6*>(&out)) == 0;
}

net::address to_address(const sockaddr& sa) {
  net::address a;
  char text[INET6_ADDRSTRLEN + 16] = {};
  if (sa.sa_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(sa);
    uv_ip6_name(&in6, text, sizeof text);
    a.port = ntohs(in6.sin6_port);
    a.family = 6;
  } else if (sa.sa_family == AF_INET) {
    const auto& in4 = reinterpret_cast<const sockaddr_in&>(sa);
    uv_ip4_name(&in4, text, sizeof text);
    a.port = ntohs(in4.sin_port);
    a.family = 4;
  } else {
    a.family = 0;
  }
  a.ip = text;
  return a;
}

std::string endpoint(std::string_view host, std::uint16_t port) {
  std::string s;
  const bool v6 = host.find(':') != std::string_view::npos && host.front() != '[';
  if (v6) {
    s += '[';
  }
  s.append(host);
  if (v6) {
    s += ']';
  }
  s += ':';
  s += std::to_string(port);
  return s;
}

std::string endpoint(const sockaddr& sa) {
  if (sa.sa_family != AF_INET && sa.sa_family != AF_INET6) {
    return {};
  }
  const net::address a = to_address(sa);
  return endpoint(a.ip, a.port);
}

}  // namespace tether::detail
