#pragma once
// The malformed and hostile requests of the HTTP tests, with the status
// each must get (Node's answers). http_parser_test.cpp runs them through the
// sans-I/O parser and connection, http_bad_input_test.cpp over real sockets.

#include <string>
#include <string_view>
#include <vector>

namespace tether::test {

// Every malformed or hostile request gets its status (Node's answers).
struct bad_request {
  std::string_view name;
  std::string bytes;
  int status;
};

inline std::vector<bad_request> bad_requests() {
  const std::string huge(17 * 1024, 'a');
  return {
      // request line
      {"no version", "GET /\r\nHost: x\r\n\r\n", 400},
      {"no target", "GET\r\n\r\n", 400},
      {"unknown method", "FETCH / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"lowercase method", "get / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"bad method char", "G@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"bad version", "GET / HTTP/1.x\r\nHost: x\r\n\r\n", 400},
      {"bad protocol", "GET / HTTX/1.1\r\nHost: x\r\n\r\n", 400},
      {"space in target", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"double space", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"space after version", "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400},
      {"NUL in target", std::string("GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n", 30), 400},
      {"HTTP/2 request line", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
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
      {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
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
       }(), 431},
      {"unterminated head", "GET / HTTP/1.1\r\nHost: x\r\nX: " + huge, 431},
      {"empty line flood", [] {
         std::string s;
         for (int i = 0; i < 10000; ++i) {
           s += "\r\n";
         }
         return s;
       }(), 431},
      {"bare LF before request", "\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
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
  };
}

}  // namespace tether::test
