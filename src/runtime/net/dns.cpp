// dns::lookup: uv_getaddrinfo on the thread pool, one GETADDRINFOREQWRAP
// per call (a request as runtime/request.hpp starts and completes every
// one); the callback runs in its scope on the loop thread, its destroy
// right after.

#include <tether/dns.hpp>

#include <netdb.h>

#include <algorithm>
#include <memory>
#include <utility>

#include <tether/event_loop.hpp>
#include <tether/integration.hpp>
#include <tether/uv_error.hpp>

#include "runtime/net/tcp_state.hpp"
#include "runtime/request.hpp"

namespace tether::detail {
namespace {

constexpr std::string_view lookup_type = "GETADDRINFOREQWRAP";

struct lookup_request final : uv_request<uv_getaddrinfo_t> {
  lookup_callback cb;
  std::vector<net::address> result;
  int status = 0;
  bool all = true;

  /// Inside the GETADDRINFOREQWRAP's scope.
  void complete() {
    lookup_callback done = std::move(cb);
    done(make_uv_error_code(status), std::move(result));
  }

  /// libuv's completion: the addresses are copied out and libuv's list
  /// freed at once, even if the callback is held back.
  static void on_lookup(uv_getaddrinfo_t* r, int status, addrinfo* res) {
    auto& q = request_of<lookup_request>(r);
    q.status = status;
    if (status == 0) {
      try {
        for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
          net::address a = to_address(*ai->ai_addr);
          if (a.family != 0 && std::find(q.result.begin(), q.result.end(), a) == q.result.end()) {
            q.result.push_back(std::move(a));
            if (!q.all) {
              break;
            }
          }
        }
      } catch (...) {
        q.status = UV_ENOMEM;
        q.result.clear();
      }
      if (q.status == 0 && q.result.empty()) {
        q.status = UV_EAI_NODATA;
      }
    }
    uv_freeaddrinfo(res);
    complete_request(q);
  }
};

}  // namespace

void start_lookup(loop_core& loop, std::string host, int family, bool all, async_id trigger,
                  lookup_callback cb) {
  auto q = std::make_unique<lookup_request>();
  q->cb = std::move(cb);
  q->all = all;
  addrinfo hints{};
  hints.ai_family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;  // one entry per address, not one per socket type
  // libuv copies the host name and hints.
  start_request_or_fail_soon(std::move(q), loop, lookup_type, trigger, [&](lookup_request& r) {
    return uv_getaddrinfo(loop.uv(), &r.req, &lookup_request::on_lookup, host.c_str(), nullptr,
                          &hints);
  });
}

}  // namespace tether::detail

namespace tether::dns {

void lookup(std::string host, lookup_options options,
            detail::unique_function<void(std::error_code, std::vector<net::address>)> cb) {
  detail::start_lookup(detail::current_core(), std::move(host), options.family, options.all, 0,
                       std::move(cb));
}

promise<std::vector<net::address>> lookup(std::string host, lookup_options options) {
  auto [p, r] = make_promise<std::vector<net::address>>();
  std::string name = host;
  detail::start_lookup(detail::current_core(), std::move(host), options.family, options.all, 0,
                       [r = std::move(r), name = std::move(name)](
                           std::error_code ec, std::vector<net::address> addrs) mutable {
                         if (ec) {
                           r.reject(std::make_exception_ptr(uv_error(ec, "getaddrinfo", name)));
                         } else {
                           r.resolve(std::move(addrs));
                         }
                       });
  return std::move(p);
}

}  // namespace tether::dns
