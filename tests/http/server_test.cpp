// http::server and http::fetch over real sockets in one loop: resources and
// scopes (HTTPINCOMINGMESSAGE triggered by its TCPWRAP, the handler inside
// it), keep-alive, pipelining order, chunked bodies both ways, 100-continue,
// handler failures, and request context isolation under concurrency.
#include <tether/http.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>
#include <tether/event_loop.hpp>
#include <tether/fs.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>
#include <tether/work.hpp>

#include "http/test_support.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using tether::async_id;
using tether::execution_async_id;
using tether::promise;
using tether::trigger_async_id;
namespace http = tether::http;
using tether::test::raw_exchange;
using tether::test::raw_result;

class HttpServer : public tether::test::http_fixture {
 protected:
  std::string url(const http::server& s, std::string_view path) const {
    return "127.0.0.1:" + std::to_string(s.port()) + std::string(path);
  }
};

// --- resources and scopes ------------------------------------------------------

TEST_F(HttpServer, OneRequestHookSequence) {
  async_id in_handler = 0;
  async_id handler_trigger = 0;
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request& req, http::response& res) -> promise<> {
    mark("handler");
    in_handler = execution_async_id();
    handler_trigger = trigger_async_id();
    EXPECT_EQ(req.id(), in_handler);
    co_await res.end("hi");
  });
  const async_id server_id = srv.id();
  http::client_response got;
  auto client = [&]() -> promise<> {
    got = co_await http::fetch("GET", url(srv, "/x"));
    mark("fetched");
    srv.close();
  };
  auto done = client();
  loop().run();
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, "hi");

  // The server side: its TCPWRAP (trigger: the server) and the request.
  async_id server_tcp = 0;
  async_id incoming = 0;
  async_id client_request = 0;
  for (const auto& r : rec().records()) {
    if (r.kind != tether::test::event_kind::init) {
      continue;
    }
    if (r.type == "TCPWRAP" && r.trigger == server_id) {
      server_tcp = r.id;
    } else if (r.type == "HTTPINCOMINGMESSAGE") {
      incoming = r.id;
    } else if (r.type == "HTTPCLIENTREQUEST") {
      client_request = r.id;
    }
  }
  ASSERT_NE(server_tcp, 0u);
  ASSERT_NE(incoming, 0u);
  EXPECT_EQ(in_handler, incoming);
  EXPECT_EQ(handler_trigger, server_tcp);
  EXPECT_THAT(log_of({server_id, server_tcp, incoming}, {"handler"}),
              ElementsAre(init("TCPSERVERWRAP", server_id, top()),
                          init("TCPWRAP", server_tcp, server_id), before(server_id),
                          after(server_id),
                          // the request's bytes arrive in the socket's scope
                          before(server_tcp), init("HTTPINCOMINGMESSAGE", incoming, server_tcp),
                          before(incoming), "handler", after(incoming), after(server_tcp),
                          destroy(incoming),
                          // server.close(): the listener closes; the client's FIN
                          // (it asked for Connection: close) arrives in the
                          // socket's scope, and the connection closes
                          destroy(server_id), before(server_tcp), after(server_tcp),
                          destroy(server_tcp)));
  // The client's request: trigger = where fetch() was called (the client
  // coroutine, before its first await: the top level).
  EXPECT_THAT(log_of({client_request}),
              ElementsAre(init("HTTPCLIENTREQUEST", client_request, top()), before(client_request),
                          after(client_request), before(client_request), after(client_request),
                          before(client_request), after(client_request),
                          destroy(client_request)));
}

TEST_F(HttpServer, RequestFieldsAndBody) {
  std::string seen;
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request& req, http::response& res) -> promise<> {
    std::string body = co_await req.body();
    seen = std::string(req.method()) + ' ' + std::string(req.path()) + " q=" +
           std::string(req.query()) + " x=" + std::string(req.header("X-Thing")) + " v=" +
           std::to_string(req.version_major()) + '.' + std::to_string(req.version_minor()) +
           " body=" + body;
    res.status(201).set_header("X-Reply", "yes");
    co_await res.end("len " + std::to_string(body.size()));
  });
  http::client_response got;
  auto client = [&]() -> promise<> {
    http::headers h{{"X-Thing", "t"}};  // (g++ 12: no initializer list inside co_await)
    got = co_await http::fetch("POST", "http://" + url(srv, "/p/q?a=1"), "payload", std::move(h));
    srv.close();
  };
  auto done = client();
  loop().run();
  EXPECT_EQ(seen, "POST /p/q q=a=1 x=t v=1.1 body=payload");
  EXPECT_EQ(got.status, 201);
  EXPECT_EQ(got.reason, "Created");
  EXPECT_EQ(got.headers.get("x-reply"), "yes");
  EXPECT_EQ(got.headers.get("content-length"), "5");
  EXPECT_TRUE(got.headers.get("date").has_value());
  EXPECT_EQ(got.body, "len 7");
}

// --- keep-alive, pipelining, framing -----------------------------------------

TEST_F(HttpServer, KeepAliveReusesTheConnection) {
  std::vector<async_id> triggers;
  std::vector<async_id> requests;
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request& req, http::response& res) -> promise<> {
    mark("handler" + std::string(req.path().substr(1)));
    triggers.push_back(trigger_async_id());
    requests.push_back(req.id());
    co_await res.end(std::string(req.path()));
  });
  http::agent pool;
  std::vector<std::string> bodies;
  auto client = [&]() -> promise<> {
    for (int i = 0; i < 3; ++i) {
      http::fetch_options o;
      o.pool = &pool;
      http::client_response r = co_await http::fetch(url(srv, "/" + std::to_string(i)), std::move(o));
      bodies.push_back(r.body);
      EXPECT_EQ(r.headers.get("connection"), "keep-alive");
      EXPECT_EQ(srv.connections(), 1u);
    }
    EXPECT_EQ(pool.idle(), 1u);
    pool.close_idle();
    srv.close();
  };
  auto done = client();
  loop().run();
  EXPECT_THAT(bodies, ElementsAre("/0", "/1", "/2"));
  ASSERT_EQ(triggers.size(), 3u);
  EXPECT_EQ(triggers[0], triggers[1]);  // the same TCPWRAP each time
  EXPECT_EQ(triggers[1], triggers[2]);
  const async_id tcp = triggers[0];
  // Each request: parsed in the socket's scope, its own HTTPINCOMINGMESSAGE,
  // destroyed once its handler settled, before the next one arrives.
  EXPECT_THAT(log_of({tcp, requests[0], requests[1], requests[2]}, {"handler0", "handler1", "handler2"}),
              ElementsAre(init("TCPWRAP", tcp, srv.id()),
                          before(tcp), init("HTTPINCOMINGMESSAGE", requests[0], tcp),
                          before(requests[0]), "handler0", after(requests[0]), after(tcp),
                          destroy(requests[0]),
                          before(tcp), init("HTTPINCOMINGMESSAGE", requests[1], tcp),
                          before(requests[1]), "handler1", after(requests[1]), after(tcp),
                          destroy(requests[1]),
                          before(tcp), init("HTTPINCOMINGMESSAGE", requests[2], tcp),
                          before(requests[2]), "handler2", after(requests[2]), after(tcp),
                          destroy(requests[2]),
                          // srv.close(): the idle connection closes; it reads in
                          // flowing mode, so no pending read fails in its scope
                          destroy(tcp)));
}

TEST_F(HttpServer, PipelinedResponsesKeepRequestOrder) {
  // Three handlers wait until all three have started, then finish in the
  // order 3, 1, 2: the responses still go out as 1, 2, 3.
  std::map<std::string, tether::resolver<>> gates;
  std::vector<std::string> finished;
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request& req, http::response& res) -> promise<> {
    auto [p, r] = tether::make_promise<>();
    const std::string path(req.path());
    gates.emplace(path, std::move(r));
    if (gates.size() == 3) {
      tether::next_tick([&] {
        gates.at("/3").resolve();
        tether::next_tick([&] {
          gates.at("/1").resolve();
          tether::next_tick([&] { gates.at("/2").resolve(); });
        });
      });
    }
    co_await p;
    finished.push_back(path);
    res.set_header("Content-Type", "text/plain");
    co_await res.write("body of ");  // chunked: the length is not known up front
    co_await res.end(path);
  });
  raw_result got;
  auto client = [&]() -> promise<> {
    got = co_await raw_exchange(srv.port(),
                                "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
                                "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
                                "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n",
                                3);
    srv.close();
  };
  auto done = client();
  loop().run();
  EXPECT_THAT(finished, ElementsAre("/3", "/1", "/2"));
  ASSERT_EQ(got.responses.size(), 3u);
  EXPECT_EQ(got.responses[0].body, "body of /1");
  EXPECT_EQ(got.responses[1].body, "body of /2");
  EXPECT_EQ(got.responses[2].body, "body of /3");
  EXPECT_EQ(got.responses[0].fields.get("transfer-encoding"), "chunked");
}

TEST_F(HttpServer, ChunkedRequestBodyAndHttp10CloseDelimitedResponse) {
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request& req, http::response& res) -> promise<> {
    std::string body = co_await req.body();
    co_await res.write("got:");
    co_await res.end(body);
  });
  raw_result chunked;
  raw_result http10;
  auto client = [&]() -> promise<> {
    chunked = co_await raw_exchange(srv.port(),
                                    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    "3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n",
                                    1);
    http10 = co_await raw_exchange(srv.port(), "POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi");
    srv.close();
  };
  auto done = client();
  loop().run();
  ASSERT_EQ(chunked.responses.size(), 1u);
  EXPECT_EQ(chunked.responses[0].body, "got:abcdefg");
  // HTTP/1.0 has no chunked coding: the body runs until the server closes.
  ASSERT_EQ(http10.responses.size(), 1u);
  EXPECT_EQ(http10.responses[0].body, "got:hi");
  EXPECT_EQ(http10.responses[0].fields.get("connection"), "close");
  EXPECT_FALSE(http10.responses[0].fields.get("transfer-encoding"));
  EXPECT_TRUE(http10.closed);
}

TEST_F(HttpServer, ExpectContinueIsAnsweredWhenTheHandlerReadsTheBody) {
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request& req, http::response& res) -> promise<> {
    mark("handler");
    std::string body = co_await req.body();
    co_await res.end("stored " + body);
  });
  std::string first;
  raw_result rest;
  auto client = [&]() -> promise<> {
    tether::net::socket s = co_await tether::net::connect("127.0.0.1", srv.port());
    co_await s.write("PUT /f HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    first = co_await s.read();  // the interim answer, before we send the body
    co_await s.write("data");
    std::string all;
    while (rest.responses.empty()) {
      all += co_await s.read();
      rest = {};
      tether::test::parse_responses(all, rest);
    }
    srv.close();
  };
  auto done = client();
  loop().run();
  EXPECT_EQ(first, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_EQ(rest.responses.size(), 1u);
  EXPECT_EQ(rest.responses[0].body, "stored data");
}

TEST_F(HttpServer, HeadRequestGetsNoBody) {
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request&, http::response& res) -> promise<> {
    co_await res.end("twelve bytes");
  });
  http::client_response got;
  auto client = [&]() -> promise<> {
    got = co_await http::fetch("HEAD", url(srv, "/"));
    srv.close();
  };
  auto done = client();
  loop().run();
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.headers.get("content-length"), "12");
  EXPECT_EQ(got.body, "");
}

// --- failures ------------------------------------------------------------------

TEST_F(HttpServer, HandlerThatThrowsGets500AndTheServerGoesOn) {
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request& req, http::response& res) -> promise<> {
    if (req.path() == "/boom") {
      throw std::runtime_error("handler failed");
    }
    if (req.path() == "/later") {
      co_await tether::delay(std::chrono::milliseconds(1));
      throw std::runtime_error("handler failed after an await");
    }
    co_await res.end("fine");
  });
  http::agent pool;
  std::vector<int> statuses;
  auto client = [&]() -> promise<> {
    for (const char* path : {"/boom", "/ok", "/later", "/ok"}) {
      http::fetch_options o;
      o.pool = &pool;
      http::client_response r = co_await http::fetch(url(srv, path), std::move(o));
      statuses.push_back(r.status);
    }
    EXPECT_EQ(srv.connections(), 1u);  // 500 keeps the connection
    pool.close_idle();
    srv.close();
  };
  auto done = client();
  loop().run();
  EXPECT_THAT(statuses, ElementsAre(500, 200, 500, 200));
}

TEST_F(HttpServer, HandlerThatThrowsMidResponseCutsTheConnection) {
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request& req, http::response& res) -> promise<> {
    if (req.path() == "/half") {
      co_await res.write("partial");
      throw std::runtime_error("gave up");
    }
    co_await res.end("whole");
  });
  std::string error;
  http::client_response after;
  auto client = [&]() -> promise<> {
    try {
      (void)co_await http::fetch("GET", url(srv, "/half"));
    } catch (const http::error& e) {
      error = e.what();
    }
    after = co_await http::fetch("GET", url(srv, "/ok"));
    srv.close();
  };
  auto done = client();
  loop().run();
  EXPECT_THAT(error, HasSubstr("closed before the response was complete"));
  EXPECT_EQ(after.body, "whole");
}

TEST_F(HttpServer, ResponseMisuseThrowsUsageError) {
  std::vector<std::string> errors;
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request&, http::response& res) -> promise<> {
    auto expect_throw = [&](auto f) {
      try {
        f();
        errors.push_back("no throw");
      } catch (const tether::usage_error& e) {
        errors.push_back(e.what());
      }
    };
    expect_throw([&] { res.status(99); });
    expect_throw([&] { res.set_header("Bad Name", "v"); });
    expect_throw([&] { res.set_header("X", "a\r\nSet-Cookie: evil"); });
    co_await res.write("x");
    expect_throw([&] { res.set_header("Late", "v"); });
    co_await res.end();
    expect_throw([&] { (void)res.write("after end"); });
  });
  auto client = [&]() -> promise<> {
    (void)co_await http::fetch("GET", url(srv, "/"));
    srv.close();
  };
  auto done = client();
  loop().run();
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_THAT(errors[0], HasSubstr("status(99)"));
  EXPECT_THAT(errors[1], HasSubstr("invalid header name"));
  EXPECT_THAT(errors[2], HasSubstr("CR, LF or NUL"));
  EXPECT_THAT(errors[3], HasSubstr("after the head was sent"));
  EXPECT_THAT(errors[4], HasSubstr("write() after end()"));
}

TEST_F(HttpServer, FetchErrors) {
  EXPECT_THROW((void)http::fetch("GET", "https://127.0.0.1/"), tether::usage_error);
  EXPECT_THROW((void)http::fetch("GET", "127.0.0.1:99999/"), tether::usage_error);
  EXPECT_THROW((void)http::fetch("G T", "127.0.0.1/"), tether::usage_error);
  std::string error;
  auto client = [&]() -> promise<> {
    try {
      (void)co_await http::fetch("GET", "127.0.0.1:" + std::to_string(closed_port()) + "/");
    } catch (const tether::uv_error& e) {
      error = e.what();
    }
  };
  auto done = client();
  loop().run();
  EXPECT_THAT(error, HasSubstr("ECONNREFUSED"));
}

TEST_F(HttpServer, IdleKeepAliveConnectionIsClosed) {
  http::server_options o;
  o.keep_alive_timeout = std::chrono::milliseconds(30);
  http::server srv = http::server::listen(
      "127.0.0.1", 0,
      [&](http::request&, http::response& res) -> promise<> { co_await res.end("x"); }, o);
  raw_result got;
  auto client = [&]() -> promise<> {
    // Reads until the server closes: only the idle timeout can do that.
    got = co_await raw_exchange(srv.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    srv.close();
  };
  auto done = client();
  loop().run();
  ASSERT_EQ(got.responses.size(), 1u);
  EXPECT_EQ(got.responses[0].fields.get("keep-alive"), "timeout=1");
  EXPECT_TRUE(got.closed);
}

TEST_F(HttpServer, CloseWaitsForInFlightResponses) {
  auto [arrived, arrived_r] = tether::make_promise<>();
  auto [gate, gate_r] = tether::make_promise<>();
  http::server* srv_ptr = nullptr;
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request&, http::response& res) -> promise<> {
    srv_ptr->close();  // while this request is in flight
    arrived_r.resolve();
    co_await gate;
    co_await res.end("finished anyway");
  });
  srv_ptr = &srv;
  http::client_response got;
  auto client = [&]() -> promise<> {
    auto pending = http::fetch("GET", url(srv, "/"));
    co_await arrived;
    EXPECT_EQ(srv.connections(), 1u);
    gate_r.resolve();
    got = co_await pending;
  };
  auto done = client();
  loop().run();
  EXPECT_EQ(got.body, "finished anyway");
  EXPECT_EQ(got.headers.get("connection"), "close");
  EXPECT_EQ(srv.connections(), 0u);
}

// --- context isolation -----------------------------------------------------------

// 1,000 concurrent requests, each through timers, fs and the thread pool
// with a random-looking mix of delays; each sets its own id in an
// async_local_storage, and every log line and every response must carry
// exactly its own id.
TEST_F(HttpServer, ContextIsolationUnderConcurrency) {
  constexpr int n = 1000;
  // Both ends of 1,000 connections live in this process, plus up to 334
  // files open at once: ~2,400 descriptors, over the usual soft limit of
  // 1,024. Raise it as far as the hard limit allows (as a server would), and
  // say so plainly if that is not enough.
  constexpr rlim_t needed = 4096;
  rlimit files{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &files), 0);
  if (files.rlim_cur < needed) {
    files.rlim_cur = std::min(files.rlim_max, needed);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &files), 0);
  }
  ASSERT_GE(files.rlim_cur, needed)
      << "this test needs 4,096 file descriptors: raise the hard limit (ulimit -Hn 4096)";
  const std::string file = ::testing::TempDir() + "tether_http_isolation.txt";
  {
    std::ofstream(file) << "data";
  }
  tether::async_local_storage<std::string> request_id;
  std::vector<std::string> log_lines;
  auto log = [&](std::string_view what) {
    const std::string* id = request_id.get_store();
    log_lines.push_back((id ? *id : std::string("<none>")) + ' ' + std::string(what));
  };
  http::server_options o;
  o.backlog = 2048;
  http::server srv = http::server::listen(
      "127.0.0.1", 0,
      [&](http::request& req, http::response& res) -> promise<> {
        request_id.enter_with(std::string(req.header("x-request-id")));  // "middleware"
        const int k = std::stoi(*request_id.get_store());
        log("start");
        co_await tether::delay(std::chrono::milliseconds(k % 7));
        log("after timer");
        if (k % 3 == 0) {
          (void)co_await tether::fs::promises::read_file(file);
          log("after fs");
        }
        if (k % 2 == 0) {
          auto work = [k] { return k * 2; };
          const int doubled = co_await tether::queue_work(std::move(work));
          EXPECT_EQ(doubled, k * 2);
          log("after work");
        }
        co_await tether::delay(std::chrono::milliseconds((k * 13) % 5));
        log("end");
        co_await res.end(*request_id.get_store());
      },
      o);
  int mismatches = 0;
  int completed = 0;
  auto one = [&](int k) -> promise<> {
    const std::string id = std::to_string(k);
    http::headers h{{"X-Request-Id", id}};
    http::client_response r = co_await http::fetch("GET", url(srv, "/"), {}, std::move(h));
    if (r.status != 200 || r.body != id) {
      ++mismatches;
    }
    ++completed;
  };
  auto client = [&]() -> promise<> {
    std::vector<promise<>> all;
    all.reserve(n);
    for (int k = 0; k < n; ++k) {
      all.push_back(one(k));
    }
    co_await tether::all(std::move(all));
    srv.close();
  };
  auto done = client();
  loop().run();
  std::remove(file.c_str());
  EXPECT_EQ(completed, n);
  EXPECT_EQ(mismatches, 0);
  // Every request logged its own id at every step, never another's.
  std::map<std::string, int> lines_per_id;
  for (const std::string& line : log_lines) {
    lines_per_id[line.substr(0, line.find(' '))]++;
  }
  EXPECT_EQ(lines_per_id.size(), static_cast<std::size_t>(n));
  EXPECT_EQ(lines_per_id.count("<none>"), 0u);
  for (int k = 0; k < n; ++k) {
    const int expected = 3 + (k % 3 == 0 ? 1 : 0) + (k % 2 == 0 ? 1 : 0);
    EXPECT_EQ(lines_per_id[std::to_string(k)], expected) << "request " << k;
  }
}

/// A large store that counts its copies.
struct big_store {
  static inline int copies = 0;
  std::string id;
  std::vector<char> payload = std::vector<char>(64 * 1024, 'x');
  big_store() = default;
  explicit big_store(std::string i) : id(std::move(i)) {}
  big_store(const big_store& o) : id(o.id), payload(o.payload) { ++copies; }
  big_store(big_store&&) noexcept = default;
  big_store& operator=(const big_store& o) {
    id = o.id;
    payload = o.payload;
    ++copies;
    return *this;
  }
  big_store& operator=(big_store&&) noexcept = default;
};

TEST_F(HttpServer, LargeStoresAreNeverCopied) {
  constexpr int n = 200;
  tether::async_local_storage<big_store> store;
  big_store::copies = 0;
  int mismatches = 0;
  http::server srv = http::server::listen("127.0.0.1", 0, [&](http::request& req, http::response& res) -> promise<> {
    store.enter_with(big_store(std::string(req.header("x-request-id"))));
    co_await tether::delay(std::chrono::milliseconds(1));
    auto work = [] { return 1; };
    (void)co_await tether::queue_work(std::move(work));
    co_await tether::delay(std::chrono::milliseconds(0));
    const big_store* s = store.get_store();
    if (s == nullptr || s->payload.size() != 64 * 1024) {
      ++mismatches;
    }
    std::string reply = s != nullptr ? s->id : std::string();  // (g++ 12: not inside co_await)
    co_await res.end(std::move(reply));
  });
  auto one = [&](int k) -> promise<> {
    const std::string id = std::to_string(k);
    http::headers h{{"X-Request-Id", id}};
    http::client_response r = co_await http::fetch("GET", url(srv, "/"), {}, std::move(h));
    if (r.body != id) {
      ++mismatches;
    }
  };
  auto client = [&]() -> promise<> {
    std::vector<promise<>> all;
    for (int k = 0; k < n; ++k) {
      all.push_back(one(k));
    }
    co_await tether::all(std::move(all));
    srv.close();
  };
  auto done = client();
  loop().run();
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(big_store::copies, 0);
}

}  // namespace
