#pragma once
// Node's dns.lookup: the system resolver (getaddrinfo, /etc/hosts and DNS)
// on libuv's thread pool.
//
// Each call is one "GETADDRINFOREQWRAP" resource (trigger: the current id;
// net::connect passes its TCPWRAP). The callback runs, and the promise
// settles, inside it on the loop thread; its destroy follows right after.
// A failure is a uv_error with syscall "getaddrinfo" and the host as path:
// a name that does not exist is EAI_NONAME (Node reports it as ENOTFOUND).
// An IP literal is not special-cased: it also goes through getaddrinfo
// (which returns it at once), as Node's dns.lookup does.

#include <string>
#include <system_error>
#include <vector>

#include <tether/detail/unique_function.hpp>
#include <tether/net.hpp>
#include <tether/promise.hpp>

namespace tether::dns {

struct lookup_options {
  int family = 0;   // 0: any, 4 or 6
  bool all = true;  // false: only the first address
};

/// The addresses of `host` (ports 0), in the resolver's order, one per
/// address (duplicates across socket types removed).
[[nodiscard]] promise<std::vector<net::address>> lookup(std::string host,
                                                         lookup_options options = {});
void lookup(std::string host, lookup_options options,
            detail::unique_function<void(std::error_code, std::vector<net::address>)> cb);

}  // namespace tether::dns
