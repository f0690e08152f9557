#pragma once
// The malformed and hostile requests of the HTTP tests, with the status
// each must get and Node 20's answer where tether deliberately differs
// (docs/semantics.md D30). parser_test.cpp runs them through the sans-I/O
// parser and connection, bad_input_test.cpp over real sockets, and
// node_bad_requests.js sends them to a Node 20 server to check the `node`
// column (ctest -R http.bad_requests_vs_node).

#include <string>
#include <string_view>
#include <vector>

namespace tether::test {

/// bad_request::node: Node 20 answers with `status` too.
inline constexpr int node_same = 0;
/// bad_request::node: Node 20 closes the connection without an answer.
inline constexpr int node_no_answer = -1;

// Every malformed or hostile request gets its status and a closed connection.
struct bad_request {
  std::string_view name;
  std::string bytes;
  int status;
  int node = node_same;  // Node 20's status where it differs (200: Node accepts it)
};

/// A request the client cuts off with a half-close (shutdown(SHUT_WR))
/// after these bytes: 400, as in Node 20.
struct cut_off_request {
  std::string_view name;
  std::string bytes;
};

inline std::vector<bad_request> bad_requests() {
  const std::string huge(17 * 1024, 'a');
  const std::string chunked = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  return {
      // request line
      {"no version", "GET /\r\nHost: x\r\n\r\n", 400, 200},
      {"no target", "GET\r\n\r\n", 400},
      {"unknown method", "FETCH / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"lowercase method", "get / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"bad method char", "G@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"bad version", "GET / HTTP/1.x\r\nHost: x\r\n\r\n", 400},
      {"bad protocol", "GET / HTTX/1.1\r\nHost: x\r\n\r\n", 400},
      {"space in target", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"double space", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400, 200},
      {"space after version", "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400},
      {"NUL in target", std::string("GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n", 30), 400},
      {"HTTP/2 request line", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, 200},
      {"binary garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400},
      // header syntax
      {"no colon", "GET / HTTP/1.1\r\nHost: x\r\nX y\r\n\r\n", 400},
      {"space before colon", "GET / HTTP/1.1\r\nHost: x\r\nX : y\r\n\r\n", 400},
      {"space in name", "GET / HTTP/1.1\r\nHost: x\r\nX Y: z\r\n\r\n", 400},
      {"bare LF line ends", "GET / HTTP/1.1\nHost: x\n\n", 400},
      {"head ends in CR and junk", "GET / HTTP/1.1\r\nHost: x\r\n\rX", 400},
      {"bad name char", "GET / HTTP/1.1\r\nHost: x\r\nX(y): z\r\n\r\n", 400},
      {"empty name", "GET / HTTP/1.1\r\nHost: x\r\n: z\r\n\r\n", 400},
      {"control char in value", "GET / HTTP/1.1\r\nHost: x\r\nX: a\x01z\r\n\r\n", 400},
      {"CR without LF", "GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n", 400},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", 400},
      {"obs-fold with tab", "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n\tb\r\n\r\n", 400},
      {"leading whitespace line", "GET / HTTP/1.1\r\n Host: x\r\n\r\n", 400},
      {"missing Host", "GET / HTTP/1.1\r\n\r\n", 400},
      {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, 200},
      {"unknown expectation", "GET / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n", 417},
      // sizes
      {"huge header value", "GET / HTTP/1.1\r\nHost: x\r\nX: " + huge + "\r\n\r\n", 431},
      {"huge target", "GET /" + huge + " HTTP/1.1\r\nHost: x\r\n\r\n", 431},
      {"many headers", [] {
         std::string s = "GET / HTTP/1.1\r\nHost: x\r\n";
         for (int i = 0; i < 2000; ++i) {
           s += "X-" + std::to_string(i) + ": v\r\n";
         }
         return s + "\r\n";
       }(), 431, 200},
      {"unterminated head", "GET / HTTP/1.1\r\nHost: x\r\nX: " + huge, 431},
      {"empty line flood", [] {
         std::string s;
         for (int i = 0; i < 10000; ++i) {
           s += "\r\n";
         }
         return s;
       }(), 431, node_no_answer},
      {"bare LF before request", "\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400, 200},
      // smuggling
      {"CL then TE", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"TE then CL", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     "Content-Length: 4\r\n\r\n0\r\n\r\n", 400},
      {"TE identity with CL", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n"
                              "Content-Length: 4\r\n\r\nabcd", 400},
      {"duplicate CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                       "Content-Length: 3\r\n\r\nabc", 400},
      {"conflicting CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                         "Content-Length: 4\r\n\r\nabcd", 400},
      {"CL list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc", 400},
      {"negative CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400},
      {"non-numeric CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3a\r\n\r\nabc", 400},
      {"empty CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", 400},
      {"overflowing CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: "
                         "99999999999999999999999\r\n\r\n", 400},
      {"TE not chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc", 400},
      {"TE chunked not last", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n"
                              "\r\nabc", 400},
      {"TE chunked lookalike", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunkedx\r\n\r\n"
                               "0\r\n\r\n", 400},
      {"TE obs-folded", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"
                        "0\r\n\r\n", 400},
      // chunk framing
      {"chunk size not hex", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "zz\r\nabc\r\n0\r\n\r\n", 400},
      {"negative chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "-1\r\nabc\r\n0\r\n\r\n", 400},
      {"overflowing chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 "fffffffffffffffffff\r\nabc\r\n0\r\n\r\n", 400},
      {"chunk without CRLF", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "3\r\nabcX0\r\n\r\n", 400},
      {"chunk data followed by junk", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                                      "\r\n\r\n3\r\nabcXY0\r\n\r\n", 400},
      {"empty chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "\r\nabc\r\n0\r\n\r\n", 400},
      // issue 8: the differences from Node that tether resolves as Node does
      {"TE chunked on two lines", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"TE chunked, chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked"
                              "\r\n\r\n0\r\n\r\n", 400},
      {"TE chunked then gzip lines", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                     "Transfer-Encoding: gzip\r\n\r\n0\r\n\r\n", 400},
      {"chunk size trailing space", chunked + "5 \r\nhello\r\n0\r\n\r\n", 400},
      {"space before chunk extension", chunked + "5 ;a=b\r\nhello\r\n0\r\n\r\n", 400},
      {"tab before chunk extension", chunked + "5\t;a=b\r\nhello\r\n0\r\n\r\n", 400},
      {"space after chunk extension", chunked + "5;a=b \r\nhello\r\n0\r\n\r\n", 400},
      {"space before extension =", chunked + "5;a =b\r\nhello\r\n0\r\n\r\n", 400},
      {"empty chunk extension", chunked + "5;\r\nhello\r\n0\r\n\r\n", 400},
      {"control char in extension", chunked + "5;a\x01\r\nhello\r\n0\r\n\r\n", 400},
      {"bare LF after chunk size", chunked + "5\nhello\r\n0\r\n\r\n", 400},
      {"bare LF after chunk data", chunked + "5\r\nhello\n0\r\n\r\n", 400},
      {"raw UTF-8 in target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"tab in target", "GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"DEL in value", "GET / HTTP/1.1\r\nHost: x\r\nX: a\x7f" "b\r\n\r\n", 400},
      {"CR in value", "GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", 400},
      {"head ends in LF LF", "GET / HTTP/1.1\r\nHost: x\r\n\n", 400},
      {"obs-fold of an empty value", "GET / HTTP/1.1\r\nHost: x\r\nX:\r\n b\r\n\r\n", 400},
      {"HTTP/1.2", "GET / HTTP/1.2\r\nHost: x\r\n\r\n", 400},
      {"HTTP/3.0", "GET / HTTP/3.0\r\nHost: x\r\n\r\n", 400},
      {"CL with plus sign", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc", 400},
      {"PRI method (HTTP/2 preface)", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400},
      // trailers: framing fields rejected, the section under max_header_size
      {"Content-Length trailer", chunked + "5\r\nhello\r\n0\r\nContent-Length: 5\r\n\r\n", 400},
      {"Transfer-Encoding trailer", chunked + "5\r\nhello\r\n0\r\nTransfer-Encoding: chunked\r\n"
                                    "\r\n", 400},
      {"trailer obs-fold", chunked + "5\r\nhello\r\n0\r\nX-T: 1\r\n 2\r\n\r\n", 400},
      {"trailer without colon", chunked + "5\r\nhello\r\n0\r\nX-T\r\n\r\n", 400},
      {"trailer with empty name", chunked + "0\r\n: v\r\n\r\n", 400},
      {"trailer bare LF", chunked + "5\r\nhello\r\n0\r\nX-T: 1\n\r\n", 400},
      {"huge trailer", chunked + "1\r\nx\r\n0\r\nX: " + huge + "\r\n\r\n", 431},
      {"trailer flood", [&] {
         std::string s = chunked + "1\r\nx\r\n0\r\n";
         for (int i = 0; i < 1000; ++i) {
           s += "X-T" + std::to_string(i) + ": vvvvvvvvvvvvvvvvvvvv\r\n";
         }
         return s + "\r\n";
       }(), 431},
      // chunk extensions: 16 KiB per message (Node: per chunk)
      {"huge chunk extension", chunked + "1;" + huge + "\r\nx\r\n0\r\n\r\n", 413},
      {"huge chunk extension value", chunked + "1;a=" + huge + "\r\nx\r\n0\r\n\r\n", 413},
      {"chunk extension flood", [&] {
         std::string s = chunked;
         for (int i = 0; i < 40; ++i) {
           s += "1;" + std::string(500, 'e') + "\r\nx\r\n";
         }
         return s + "0\r\n\r\n";
       }(), 413, 200},
      {"chunk extension value flood", [&] {
         std::string s = chunked;
         for (int i = 0; i < 40; ++i) {
           s += "1;a=" + std::string(500, 'v') + ";b\r\nx\r\n";
         }
         return s + "0\r\n\r\n";
       }(), 413, 200},
      // HTTP/0.9 and sloppy request lines that llhttp 8 accepts
      {"HTTP/0.9 request", "GET /\r\n\r\n", 400, 200},
      {"HTTP/0.9 version", "GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505, 200},
      {"two spaces before version", "GET /a  HTTP/1.1\r\nHost: x\r\n\r\n", 400, 200},
      {"CR before request", "\rGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400, 200},
      // CONNECT with no handler: never a 2xx with a body (a 2xx opens a tunnel)
      {"CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 405,
       node_no_answer},
      {"CONNECT with data", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"
                            "\x16\x03\x01\x02\x00", 405, node_no_answer},
  };
}

/// Requests cut off by the client's half-close: each gets a 400 (Node 20).
inline std::vector<cut_off_request> cut_off_requests() {
  return {
      {"mid request line", "GET /ab"},
      {"mid head", "GET / HTTP/1.1\r\nHost: x\r\nX-A: b"},
      {"head without its empty line", "GET / HTTP/1.1\r\nHost: x\r\n"},
      {"mid Content-Length body", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"},
      {"mid chunk", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"},
      {"mid chunk size line", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;a"},
      {"mid trailers", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n"},
  };
}

/// Unusual requests that must be accepted (200), as Node 20 accepts them.
inline std::vector<bad_request> accepted_requests() {
  const std::string chunked = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const auto head_of = [](std::size_t size) {
    const std::string start = "GET / HTTP/1.1\r\nHost: x\r\nX: ";
    return start + std::string(size - start.size() - 4, 'v') + "\r\n\r\n";
  };
  return {
      {"chunk extensions", chunked + "5;a=b;c;d=\"q s\";e=f\r\nhello\r\n0;z\r\n\r\n", 200},
      {"extension after a token value", chunked + "5;a=b;c=d\r\nhello\r\n0\r\n\r\n", 200},
      {"chunk size leading zeros, upper-case hex", chunked + "000A\r\n0123456789\r\n0\r\n\r\n", 200},
      {"ordinary trailers", chunked + "5\r\nhello\r\n0\r\nX-T: 1\r\nHost: y\r\n\r\n", 200},
      {"obs-text in a value", "GET / HTTP/1.1\r\nHost: x\r\nX: caf\xc3\xa9\r\n\r\n", 200},
      {"empty lines before the request", "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 200},
      {"absolute-form target", "GET http://x/a?b HTTP/1.1\r\nHost: x\r\n\r\n", 200},
      {"asterisk-form target", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 200},
      {"HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", 200},
      {"HTTP/1.0 chunked", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
       200},
      {"Content-Length leading zeros", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 003\r\n\r\nabc",
       200},
      {"Transfer-Encoding gzip then chunked lines", "POST / HTTP/1.1\r\nHost: x\r\n"
       "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 200},
      {"Upgrade without a handler", "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
       "Connection: Upgrade\r\n\r\n", 200},
      {"head of 16383 bytes", head_of(16383), 200},
      {"head of 16384 bytes", head_of(16384), 200},
      {"chunk extensions of 16 KiB", chunked + "1;" + std::string(16 * 1024, 'e') + "\r\nx\r\n0\r\n\r\n",
       200},
  };
}

}  // namespace tether::test
