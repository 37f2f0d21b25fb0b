// http_request.hpp - a small, strict HTTP/1.x request-head parser with stated bounds.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace camstream::http {

// Bounds on what a client may send before it has asked for anything. A head over
// kMaxHeadBytes gets 431 (414 while still in the request line); both stay far below what a
// browser sends, which is well under 2 KiB.
inline constexpr std::size_t kMaxHeadBytes = 8192;
inline constexpr std::size_t kMaxRequestLine = 2048;
inline constexpr std::size_t kMaxHeaderFields = 64;

struct Request {
  std::string method;     // as sent; methods are case-sensitive
  std::string target;     // the request-target as sent
  std::string path;       // target without query; "/" for absolute-form without a path
  std::string query;      // after '?', without it; empty when none
  int minor_version = 1;  // HTTP/1.<minor>
  // Field names lower-cased, values without surrounding whitespace, in arrival order.
  std::vector<std::pair<std::string, std::string>> fields;
  // A body follows the head (Content-Length above 0, or Transfer-Encoding). This server
  // reads none, so such a request is answered and the connection closed: reading on past an
  // unread body would take its bytes for the next request.
  bool has_body = false;
  std::size_t content_length = 0;  // from Content-Length; 0 when absent
  bool chunked = false;            // Transfer-Encoding was given (its body's length is unknown)

  // The first field called `name` (lower-case), if any.
  std::optional<std::string_view> field(std::string_view name) const;
  // Whether the client wants the connection kept open after the response: HTTP/1.1 unless
  // "Connection: close", HTTP/1.0 only with "Connection: keep-alive".
  bool keep_alive() const;
  // The value of `key` in an application/x-www-form-urlencoded query, as sent.
  std::optional<std::string_view> query_value(std::string_view key) const;
};

struct ParseResult {
  enum class State { kIncomplete, kComplete, kError };
  State state = State::kIncomplete;
  std::size_t head_size = 0;  // kComplete: bytes of `input` the head took, final CRLF included
  int status = 0;             // kError: the status to answer with (400, 414, 431, 505)
  std::string reason;         // kError: a short sentence for the response body and the log
};

// Looks for one request head at the start of `input`. Errors are reported as soon as the
// bytes seen prove them (a bad request line is refused before the fields arrive); kIncomplete
// means more bytes are needed and `input` is still within the bounds. Lines must end in CRLF;
// empty lines before the request line are skipped, as RFC 9112 asks.
ParseResult parse_request(std::string_view input, Request& out);

}  // namespace camstream::http
