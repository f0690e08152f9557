#pragma once
// Writing HTTP/1.1 messages: status and request lines, header fields, chunk
// framing, the Date value. Pure functions over std::string; the framing
// decisions (Content-Length or chunked, keep-alive) are the connection's.

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include <tether/http_headers.hpp>

namespace tether::http::detail {

/// A header name is an RFC 7230 token: visible ASCII except delimiters.
bool valid_header_name(std::string_view name) noexcept;
/// A header value may not contain CR, LF or NUL (response splitting).
bool valid_header_value(std::string_view value) noexcept;
/// A method is a token; a request target has no whitespace or controls.
bool valid_method(std::string_view method) noexcept;
bool valid_target(std::string_view target) noexcept;

/// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 7231 IMF-fixdate).
std::string format_http_date(std::time_t t);
/// The current time as an HTTP date, formatted once per second per thread
/// (as Node's utcDate cache). Valid until the next call on this thread.
std::string_view http_date_now();

/// "HTTP/1.1 404 Not Found\r\n" (the reason from status_text() when empty).
void append_status_line(std::string& out, int status, std::string_view reason = {});
/// "GET /path HTTP/1.1\r\n"
void append_request_line(std::string& out, std::string_view method, std::string_view target);
/// "Name: value\r\n"
void append_field(std::string& out, std::string_view name, std::string_view value);
void append_field(std::string& out, std::string_view name, std::uint64_t value);
/// One chunk of a chunked body: "<hex size>\r\n<data>\r\n"; nothing for an
/// empty `data` (an empty chunk would end the body).
void append_chunk(std::string& out, std::string_view data);
/// The last chunk, with no trailers.
inline constexpr std::string_view last_chunk = "0\r\n\r\n";
inline constexpr std::string_view continue_response = "HTTP/1.1 100 Continue\r\n\r\n";

/// A complete request head for the client: request line, Host (unless
/// `fields` has one), `fields`, then Content-Length (body_length >= 0) or
/// Transfer-Encoding: chunked (body_length < 0) unless the method carries no
/// body and body_length is 0, and the blank line.
std::string serialize_request_head(std::string_view method, std::string_view target,
                                   std::string_view host, const headers& fields,
                                   std::int64_t body_length);

/// A minimal error response that closes the connection (Node's 400/431/408
/// answers): status line, Connection: close, Content-Length: 0.
std::string serialize_error_response(int status);

}  // namespace tether::http::detail
