// dns::lookup: uv_getaddrinfo on the thread pool, one GETADDRINFOREQWRAP
// per call; the callback runs in its scope on the loop thread, its destroy
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

namespace tether::detail {
namespace {

constexpr std::string_view lookup_type = "GETADDRINFOREQWRAP";

struct lookup_req final : resource {
  uv_getaddrinfo_t req{};
  loop_core* loop = nullptr;
  lookup_callback cb;
  std::vector<net::address> result;
  int status = 0;
  bool all = true;

  void complete() {
    lookup_callback done = std::move(cb);
    cb = nullptr;
    done(make_uv_error_code(status), std::move(result));
  }
  void finish() noexcept {
    emit_destroy(*this);
    delete this;
  }

  static void on_lookup(uv_getaddrinfo_t* r, int status, addrinfo* res) {
    auto& q = *static_cast<lookup_req*>(r->data);
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
    if (q.loop->closing()) {
      q.finish();
      return;
    }
    q.loop->run_callback(
        q, [&] { q.complete(); }, [&] { q.finish(); });
  }
  static void run_deferred(lookup_req& q) { q.complete(); }
  static void finish_deferred(lookup_req& q, bool) noexcept { q.finish(); }
};

}  // namespace

void start_lookup(loop_core& loop, std::string host, int family, bool all, async_id trigger,
                  lookup_callback cb) {
  auto q = std::make_unique<lookup_req>();
  q->loop = &loop;
  q->cb = std::move(cb);
  q->all = all;
  q->req.data = q.get();
  addrinfo hints{};
  hints.ai_family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;  // one entry per address, not one per socket type
  emit_init(*q, lookup_type, trigger);
  // libuv copies the host name and hints.
  if (const int rc = uv_getaddrinfo(loop.uv(), &q->req, &lookup_req::on_lookup, host.c_str(),
                                    nullptr, &hints);
      rc < 0) {
    q->status = rc;
    complete_soon(loop, *q);
  }
  q.release();
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
