// http_url.hpp - "http(s)://HOST[:PORT]/PATH?QUERY" as camview takes it for an HTTP MJPEG
// stream, and "camstreams://HOST[:PORT]" for the native protocol inside TLS.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "shared/address.hpp"

namespace camstream {

inline constexpr std::size_t kMaxUrlLength = 2048;

struct HttpUrl {
  HostPort server;     // port 80 (https: 443) when the URL names none
  std::string target;  // path and query as sent in the request line, "/" at least
  // "USER:PASSWORD" from the URL, percent-decoded, for HTTP Basic; never shown in titles or logs.
  std::string basic;
  bool tls = false;  // https://
};

// True when `text` asks for HTTP at all (starts with a scheme), so camview knows which
// parser's error to report.
bool looks_like_url(std::string_view text);

// Parses an http:// or https:// URL, with a user name and password if it has them; a fragment
// is dropped. Anything else gets a sentence in `error`.
std::optional<HttpUrl> parse_http_url(std::string_view text, std::string& error);

// Whether `text` is a camstreams:// URL (any case), and then its HOST[:PORT] (default 8080; a
// trailing "/" is allowed), or a sentence in `error`.
bool is_camstreams_url(std::string_view text);
std::optional<HostPort> parse_camstreams_url(std::string_view text, std::string& error);

// "http://host:port/target" (or https), with brackets around an IPv6 host.
std::string to_string(const HttpUrl& url);

}  // namespace camstream
