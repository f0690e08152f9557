// One request and its response (the HTTPINCOMINGMESSAGE resource), and the
// public http::request / http::response over it.

#include <tether/integration.hpp>

#include "http/serializer.hpp"
#include "http/server_impl.hpp"

namespace tether::http {
namespace detail {

namespace {
constexpr std::string_view incoming_type = "HTTPINCOMINGMESSAGE";
}  // namespace

exchange::exchange(std::shared_ptr<connection> conn, request_id id, message_head&& head,
                   async_id trigger, const captured_context& socket_context)
    : req(*this), res(*this), conn_(std::move(conn)), rid_(id), head_(std::move(head)) {
  // The socket's context, whatever callback this is parsed in (see
  // server_impl.hpp): a request never inherits another request's stores.
  const context_scope in_socket_context(socket_context);
  emit_init(*this, incoming_type, trigger);
}

exchange::~exchange() {
  conn_->forget(this);
  emit_destroy(*this);
}

template <class Call>
void exchange::start_handler(std::shared_ptr<exchange> self, Call&& call) {
  exchange& ex = *self;
  callback_scope scope(ex);
  promise<void> p;
  try {
    p = call(ex);
    if (!p.valid()) {
      throw usage_error("tether: an http handler returned an empty promise; return the "
                        "coroutine's promise (or promise<void>::resolve())");
    }
  } catch (...) {
    p = promise<void>::reject(std::current_exception());
  }
  ex.wait_for(std::move(p), std::move(self));
}

void exchange::run(std::shared_ptr<exchange> self, handler& h) {
  start_handler(std::move(self), [&h](exchange& ex) { return h(ex.req, ex.res); });
}

void exchange::run_upgrade(std::shared_ptr<exchange> self, upgrade_handler& h, net::socket s,
                           std::string rest) {
  start_handler(std::move(self), [&](exchange& ex) {
    ex.finished_ = ex.started_ = true;  // no HTTP response: the socket is the handler's
    return h(ex.req, std::move(s), std::move(rest));
  });
}

// The handler's promise is waited for by a reaction node embedded in the
// exchange (a then() would cost a PROMISE per request; this costs nothing):
// when it settles, a job runs inside that promise's scope, ends the
// response (or answers 500), then lets the exchange go.

namespace td = ::tether::detail;

const td::reaction_ops exchange::handler_ops{&exchange::handler_settled, &exchange::handler_dead,
                                            &exchange::handler_job,
                                            &exchange::handler_job_dropped};

void exchange::wait_for(promise<void> p, std::shared_ptr<exchange> self) noexcept {
  handler_promise_ = std::move(p);
  keep_ = std::move(self);
  wait_.ops = &handler_ops;
  wait_.owner = this;
  td::attach(*handler_promise_.state(), wait_);
}

void exchange::handler_settled(td::reaction& r, td::promise_base& source) noexcept {
  td::schedule_job(source, r);
}

void exchange::handler_dead(td::reaction& r) noexcept {
  // The handler can never finish (it awaited a promise whose resolvers were
  // all dropped, or the loop is going away): nothing can be answered from
  // inside the promise library's reclamation. Let the exchange go (as a
  // dropped then() would); its response stays unanswered until the
  // connection closes.
  exchange& ex = *static_cast<handler_wait&>(r).owner;
  const std::shared_ptr<exchange> self = std::move(ex.keep_);
  ex.handler_promise_ = {};
}

void exchange::handler_job(td::reaction& r) noexcept {
  exchange& ex = *static_cast<handler_wait&>(r).owner;
  const std::shared_ptr<exchange> self = std::move(ex.keep_);
  const promise<void> p = std::move(ex.handler_promise_);
  ex.settled(p.is_rejected() ? p.state()->error : nullptr);
}

void exchange::handler_job_dropped(td::reaction& r) noexcept {
  handler_dead(r);  // the loop went away first
}

void exchange::settled(std::exception_ptr e) noexcept {
  try {
    if (finished_ || conn_->closed()) {
      return;
    }
    server_connection& core = conn_->core();
    if (!e) {
      (void)end({});  // a handler that returned without ending: end it (empty body)
      return;
    }
    finished_ = true;
    if (!started_) {
      response_start r;
      r.status = 500;
      r.content_length = 0;
      started_ = core.start(rid_, r);
      core.end(rid_);
    } else {
      core.abort(rid_);  // cut where it stands: the client must not take it as complete
    }
    conn_->after_output();
  } catch (...) {
    // Out of memory while answering: the connection closes instead.
    conn_->close_now();
  }
}

// --- request side --------------------------------------------------------------

namespace {

std::exception_ptr body_error(int status) {
  const char* what = "tether: malformed request body";
  if (status == 413) {
    what = "tether: the request body is over the server's max_body_size";
  } else if (status == 408) {
    what = "tether: the request body did not arrive within the server's request_timeout";
  } else if (status == 0) {
    what = "tether: the client closed the connection before the body ended";
  }
  return std::make_exception_ptr(error(status, what));
}

}  // namespace

void exchange::on_end() {
  body_state_ = body_state::complete;
  for (resolver<std::string>& w : std::exchange(waiters_, {})) {
    w.resolve(body_);
  }
}

void exchange::on_error(int status) {
  if (body_state_ != body_state::receiving) {
    return;
  }
  body_state_ = body_state::failed;
  body_error_ = status;
  if (status != 0) {
    finished_ = true;  // the connection answered with `status` itself
  }
  for (resolver<std::string>& w : std::exchange(waiters_, {})) {
    w.reject(body_error(status));
  }
}

void exchange::on_closed() {
  on_error(0);
  finished_ = true;
}

std::size_t exchange::release_writes() noexcept {
  std::vector<resolver<void>> waiting = std::move(write_waiters_);
  write_waiters_.clear();
  for (resolver<void>& w : waiting) {
    w.resolve();
  }
  return waiting.size();
}

promise<std::string> exchange::body() {
  switch (body_state_) {
    case body_state::complete:
      return promise<std::string>::resolve(body_);
    case body_state::failed:
      return promise<std::string>::reject(body_error(body_error_));
    case body_state::receiving:
      break;
  }
  auto [p, r] = make_promise<std::string>();
  waiters_.push_back(std::move(r));
  if (!conn_->closed()) {
    conn_->core().write_continue(rid_);
    conn_->after_output();
  }
  return std::move(p);
}

// --- response side -----------------------------------------------------------

bool exchange::start(std::optional<std::uint64_t> length) {
  started_ = true;
  if (conn_->closed()) {
    return false;
  }
  response_start r;
  r.status = status_code;
  r.fields = &out_fields;
  r.content_length = length;
  return conn_->core().start(rid_, r);
}

promise<void> exchange::write(std::string chunk) {
  if (ended_) {
    throw usage_error("tether: http::response::write() after end(); write the body before "
                      "ending the response");
  }
  if (finished_) {
    return promise<void>::resolve();  // answered by the connection, or it is gone: dropped
  }
  if (!started_) {
    start(std::nullopt);
  }
  if (conn_->closed() || !conn_->core().write(rid_, chunk)) {
    return promise<void>::resolve();
  }
  conn_->after_output();
  return conn_->write_ready(*this);
}

promise<void> exchange::end(std::string body) {
  if (finished_) {
    ended_ = true;
    return promise<void>::resolve();
  }
  finished_ = ended_ = true;
  if (!started_) {
    start(body.size());
  }
  if (!conn_->closed()) {
    server_connection& core = conn_->core();
    if (!body.empty()) {
      core.write(rid_, body);
    }
    core.end(rid_);
    conn_->after_output();
  }
  return promise<void>::resolve();
}

}  // namespace detail

// --- http::request -----------------------------------------------------------

std::string_view request::method() const noexcept { return ex_.head().method; }
std::string_view request::target() const noexcept { return ex_.head().target; }

std::string_view request::path() const noexcept {
  const std::string_view t = ex_.head().target;
  return t.substr(0, t.find('?'));
}

std::string_view request::query() const noexcept {
  const std::string_view t = ex_.head().target;
  const auto q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

unsigned request::version_major() const noexcept { return ex_.head().version_major; }
unsigned request::version_minor() const noexcept { return ex_.head().version_minor; }
const http::headers& request::headers() const noexcept { return ex_.head().fields; }

std::string_view request::header(std::string_view name) const noexcept {
  return ex_.head().fields.get(name).value_or(std::string_view());
}

async_id request::id() const noexcept { return ex_.id(); }
promise<std::string> request::body() { return ex_.body(); }

// --- http::response ----------------------------------------------------------

void response::require_unsent(const char* what) const {
  if (ex_.started()) {
    throw usage_error(std::string("tether: http::response::") + what +
                      " after the head was sent (by write() or end()); set the status and "
                      "headers first");
  }
}

response& response::status(int code) {
  require_unsent("status()");
  if (code < 200 || code > 599) {
    throw usage_error("tether: http::response::status(" + std::to_string(code) +
                      "): a final status is 200..599");
  }
  ex_.status_code = code;
  return *this;
}

int response::status() const noexcept { return ex_.status_code; }

namespace {

void check_field(const std::string& name, const std::string& value) {
  if (!detail::valid_header_name(name)) {
    throw usage_error("tether: http::response: invalid header name \"" + name +
                      "\" (a token: letters, digits and !#$%&'*+-.^_`|~)");
  }
  if (!detail::valid_header_value(value)) {
    throw usage_error("tether: http::response: the value of header \"" + name +
                      "\" contains CR, LF or NUL");
  }
}

}  // namespace

response& response::set_header(std::string name, std::string value) {
  require_unsent("set_header()");
  check_field(name, value);
  ex_.out_fields.set(std::move(name), std::move(value));
  return *this;
}

response& response::add_header(std::string name, std::string value) {
  require_unsent("add_header()");
  check_field(name, value);
  ex_.out_fields.add(std::move(name), std::move(value));
  return *this;
}

response& response::remove_header(std::string_view name) {
  require_unsent("remove_header()");
  ex_.out_fields.remove(name);
  return *this;
}

const http::headers& response::headers() const noexcept { return ex_.out_fields; }
bool response::headers_sent() const noexcept { return ex_.started(); }
bool response::finished() const noexcept { return ex_.finished(); }
promise<void> response::write(std::string chunk) { return ex_.write(std::move(chunk)); }
promise<void> response::end(std::string body) { return ex_.end(std::move(body)); }

}  // namespace tether::http
