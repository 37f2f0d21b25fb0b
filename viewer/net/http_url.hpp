// http_url.hpp - "http://HOST[:PORT]/PATH?QUERY" as camview takes it for an HTTP MJPEG stream.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "shared/address.hpp"

namespace camstream {

inline constexpr std::size_t kMaxUrlLength = 2048;

struct HttpUrl {
  HostPort server;     // port 80 when the URL names none
  std::string target;  // path and query as sent in the request line, "/" at least
  // "USER:PASSWORD" from the URL, percent-decoded, for HTTP Basic; never shown in titles or logs.
  std::string basic;
};

// True when `text` asks for HTTP at all (starts with a scheme), so camview knows which
// parser's error to report.
bool looks_like_url(std::string_view text);

// Parses an http:// URL, with a user name and password if it has them. https is refused with a
// sentence in `error` saying what to give instead; a fragment is dropped.
std::optional<HttpUrl> parse_http_url(std::string_view text, std::string& error);

// "http://host:port/target", with brackets around an IPv6 host.
std::string to_string(const HttpUrl& url);

}  // namespace camstream
