// http::fetch and http::agent: the client side, one HTTPCLIENTREQUEST per
// request, over a new connection or a pooled keep-alive one.

#include <cerrno>
#include <charconv>
#include <optional>
#include <unordered_map>

#include <tether/http.hpp>
#include <tether/integration.hpp>
#include <tether/net.hpp>
#include <tether/timers.hpp>
#include <tether/uv_error.hpp>

#include "http/instrumentation.hpp"
#include "http/message_parser.hpp"
#include "http/serializer.hpp"

namespace tether::http {
namespace detail {

namespace {

constexpr std::string_view client_type = "HTTPCLIENTREQUEST";

struct parsed_url {
  std::string host;  // for connect: "127.0.0.1", "::1", "example.com"
  std::uint16_t port = 80;
  std::string authority;  // the Host value: as written
  std::string target;
};

[[noreturn]] void bad_url(std::string_view url, std::string_view why) {
  throw usage_error("tether: http::fetch: invalid url \"" + std::string(url) + "\": " +
                    std::string(why) + " (use \"http://host:port/path\" or \"host:port/path\")");
}

parsed_url parse_url(std::string_view url) {
  std::string_view rest = url;
  if (const auto scheme = rest.find("://"); scheme != std::string_view::npos) {
    if (rest.substr(0, scheme) != "http") {
      bad_url(url, "only http:// is supported");
    }
    rest.remove_prefix(scheme + 3);
  }
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  parsed_url u;
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  u.authority = std::string(authority);
  std::string_view host = authority;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    if (close == std::string_view::npos) {
      bad_url(url, "unclosed '['");
    }
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') {
        bad_url(url, "junk after ']'");
      }
      port = host.substr(close + 2);
    }
    host = host.substr(1, close - 1);
  } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (host.empty()) {
    bad_url(url, "no host");
  }
  if (!port.empty()) {
    unsigned p = 0;
    const auto r = std::from_chars(port.data(), port.data() + port.size(), p);
    if (r.ec != std::errc() || r.ptr != port.data() + port.size() || p == 0 || p > 65535) {
      bad_url(url, "bad port");
    }
    u.port = static_cast<std::uint16_t>(p);
  }
  if (!valid_target(u.target)) {
    bad_url(url, "the path has spaces or control characters");
  }
  u.host = std::string(host);
  return u;
}

}  // namespace

/// Idle keep-alive connections per host:port.
class client_pool {
 public:
  explicit client_pool(std::size_t max_idle) : max_idle_(max_idle) {}

  net::socket take(const std::string& key) {
    auto it = idle_.find(key);
    while (it != idle_.end() && !it->second.empty()) {
      net::socket s = std::move(it->second.back());
      it->second.pop_back();
      if (s.is_open()) {
        return s;
      }
    }
    return {};
  }
  void put(const std::string& key, net::socket s) {
    std::vector<net::socket>& list = idle_[key];
    if (list.size() < max_idle_ && s.is_open()) {
      list.push_back(std::move(s));
    }
  }
  std::size_t idle() const noexcept {
    std::size_t n = 0;
    for (const auto& [key, list] : idle_) {
      n += list.size();
    }
    return n;
  }
  void clear() noexcept { idle_.clear(); }

 private:
  std::unordered_map<std::string, std::vector<net::socket>> idle_;
  std::size_t max_idle_;
};

/// One request: the HTTPCLIENTREQUEST resource. Every step runs inside its
/// scope; the callbacks that drive it keep it alive.
class client_exchange final : public resource, public std::enable_shared_from_this<client_exchange> {
 public:
  client_exchange(parsed_url u, fetch_options o, resolver<client_response> r)
      : url_(std::move(u)), key_(url_.host + ':' + std::to_string(url_.port)),
        max_body_(o.max_body_size), timeout_(o.timeout), head_request_(o.method == "HEAD"),
        resolver_(std::move(r)) {
    if (o.pool != nullptr) {
      pool_ = o.pool->pool_;
    }
    if (!o.headers.contains("connection")) {
      o.headers.add("Connection", o.pool != nullptr ? "keep-alive" : "close");
    }
    request_ = serialize_request_head(o.method, url_.target, url_.authority, o.headers,
                                      static_cast<std::int64_t>(o.body.size()));
    request_ += o.body;
    emit_init(*this, client_type);
  }
  ~client_exchange() { emit_destroy(*this); }
  client_exchange(const client_exchange&) = delete;
  client_exchange& operator=(const client_exchange&) = delete;

  void begin() {
    callback_scope scope(*this);
    if (timeout_.count() > 0) {
      // Weak: a request that finished must not stay alive for its timer.
      timer_ = set_timeout([weak = weak_from_this()] {
        if (auto self = weak.lock()) {
          self->on_timeout();
        }
      }, timeout_);
    }
    connect();
  }

 private:
  std::string where() const { return url_.authority; }

  void connect() {
    parser_.emplace(message_kind::response, parser_limits{16 * 1024, max_body_, false});
    parser_->expect_no_body(head_request_);
    got_bytes_ = false;
    interim_ = false;
    if (auto pool = pool_.lock()) {
      if (net::socket s = pool->take(key_); s.valid()) {
        reused_ = true;
        sock_ = std::move(s);
        send();
        return;
      }
    }
    reused_ = false;
    net::connect(url_.host, url_.port,
                 [self = shared_from_this()](std::error_code ec, net::socket s) {
                   self->on_connected(ec, std::move(s));
                 });
  }

  void on_connected(std::error_code ec, net::socket s) {
    callback_scope scope(*this);
    if (ec) {
      fail(std::make_exception_ptr(uv_error(ec, "connect", where())));
      return;
    }
    sock_ = std::move(s);
    send();
  }

  void send() {
    sock_.write(request_, [self = shared_from_this(), gen = generation_](std::error_code ec) {
      if (ec) {
        self->on_io_error(ec, "write", gen);
      }
    });
    read_next();
  }

  void read_next() {
    sock_.read([self = shared_from_this(), gen = generation_](std::error_code ec, std::string data) {
      self->on_read(ec, std::move(data), gen);
    });
  }

  /// A failure before any byte of the response came back on a reused
  /// connection: the server closed it while it sat in the pool (the race
  /// every keep-alive client has). Try once more on a new connection.
  bool retry() {
    if (!reused_ || got_bytes_) {
      return false;
    }
    ++generation_;
    sock_ = {};
    connect();
    return true;
  }

  void on_io_error(std::error_code ec, const char* op, unsigned gen) {
    if (done_ || gen != generation_) {
      return;
    }
    callback_scope scope(*this);
    if (!retry()) {
      fail(std::make_exception_ptr(uv_error(ec, op, where())));
    }
  }

  void on_read(std::error_code ec, std::string data, unsigned gen) {
    if (done_ || gen != generation_) {
      return;
    }
    if (ec) {
      on_io_error(ec, "read", gen);
      return;
    }
    callback_scope scope(*this);
    if (data.empty()) {
      if (retry()) {
        return;
      }
      if (parser_->finish().event == parse_event::end && !interim_) {
        complete(false);
      } else {
        fail(std::make_exception_ptr(
            error(0, "tether: http::fetch " + where() +
                         ": the connection closed before the response was complete")));
      }
      return;
    }
    got_bytes_ = true;
    std::string_view in = data;
    while (!in.empty()) {
      const parse_step step = parser_->parse(in);
      in.remove_prefix(step.consumed);
      switch (step.event) {
        case parse_event::need_more:
          in = {};
          break;
        case parse_event::head: {
          message_head& h = parser_->head();
          // 1xx interim answers (100 Continue) come before the real one.
          interim_ = h.status >= 100 && h.status < 200 && h.status != 101;
          if (!interim_) {
            out_.status = h.status;
            out_.reason = std::move(h.reason);
            out_.headers = std::move(h.fields);
          }
          break;
        }
        case parse_event::body:
          if (!interim_) {
            out_.body.append(step.body);
          }
          break;
        case parse_event::end:
          if (interim_) {
            interim_ = false;
            break;
          }
          complete(parser_->head().keep_alive && in.empty());
          return;
        case parse_event::error:
          fail(std::make_exception_ptr(
              error(parser_->error_status() == 413 ? 413 : 0,
                    "tether: http::fetch " + where() + ": bad response (" +
                        std::string(parser_->error_reason()) + ")")));
          return;
      }
    }
    read_next();
  }

  void on_timeout() {
    if (done_) {
      return;
    }
    callback_scope scope(*this);
    fail(std::make_exception_ptr(uv_error(make_uv_error_code(-ETIMEDOUT), "fetch", where())));
  }

  void complete(bool reusable) {
    done_ = true;
    clear_timeout(timer_);
    if (auto pool = pool_.lock(); pool && reusable) {
      pool->put(key_, std::move(sock_));
    }
    sock_ = {};  // closes it unless pooled
    resolver_.resolve(std::move(out_));
  }

  void fail(std::exception_ptr e) {
    done_ = true;
    clear_timeout(timer_);
    sock_ = {};
    resolver_.reject(std::move(e));
  }

  parsed_url url_;
  std::string key_;
  std::string request_;
  std::uint64_t max_body_;
  std::chrono::milliseconds timeout_;
  timeout timer_;
  std::weak_ptr<client_pool> pool_;
  std::optional<message_parser> parser_;
  net::socket sock_;
  client_response out_;
  bool head_request_;
  resolver<client_response> resolver_;
  unsigned generation_ = 0;  // bumped on retry: callbacks of the old socket are ignored
  bool reused_ = false;
  bool got_bytes_ = false;
  bool interim_ = false;
  bool done_ = false;
};

}  // namespace detail

// --- agent -------------------------------------------------------------------

agent::agent(std::size_t max_idle_per_host)
    : pool_(std::make_shared<detail::client_pool>(max_idle_per_host)) {}
agent::~agent() { pool_->clear(); }
std::size_t agent::idle() const noexcept { return pool_->idle(); }
void agent::close_idle() noexcept { pool_->clear(); }

// --- fetch -------------------------------------------------------------------

namespace {

promise<client_response> send(std::string url, fetch_options options) {
  if (!detail::valid_method(options.method)) {
    throw usage_error("tether: http::fetch: invalid method \"" + options.method + "\"");
  }
  for (const header& h : options.headers) {
    if (!detail::valid_header_name(h.name) || !detail::valid_header_value(h.value)) {
      throw usage_error("tether: http::fetch: invalid header \"" + h.name + "\"");
    }
  }
  detail::parsed_url u = detail::parse_url(url);
  auto [p, r] = make_promise<client_response>();
  auto ex = std::make_shared<detail::client_exchange>(std::move(u), std::move(options), std::move(r));
  ex->begin();
  return std::move(p);
}

}  // namespace

promise<client_response> fetch(std::string url, fetch_options options) {
  if (instrumentation* i = detail::current_instrumentation()) [[unlikely]] {
    return i->fetch(std::move(url), std::move(options), &send);
  }
  return send(std::move(url), std::move(options));
}

promise<client_response> fetch(std::string method, std::string url, std::string body,
                               http::headers headers) {
  fetch_options o;
  o.method = std::move(method);
  o.body = std::move(body);
  o.headers = std::move(headers);
  return fetch(std::move(url), std::move(o));
}

}  // namespace tether::http
