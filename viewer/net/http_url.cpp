// http_url.cpp - splitting an http:// URL into the server to connect to and the request target.
#include "viewer/net/http_url.hpp"

#include <algorithm>
#include <cctype>

#include "shared/text.hpp"

namespace camstream {
using text::lower;

bool looks_like_url(std::string_view text) {
  return text.find("://") != std::string_view::npos;
}

std::optional<HttpUrl> parse_http_url(std::string_view text, std::string& error) {
  if (text.size() > kMaxUrlLength) {
    error = "the URL is longer than 2048 characters";
    return std::nullopt;
  }
  const std::size_t scheme_end = text.find("://");
  const std::string scheme = lower(text.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") {
    error = "the scheme '" + scheme +
            "' is not supported; give an http:// or https:// URL, or camstreams://HOST:PORT";
    return std::nullopt;
  }
  const bool tls = scheme == "https";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      error = "the URL contains a space or a character outside ASCII; percent-encode it";
      return std::nullopt;
    }
  }
  std::string_view rest = text.substr(scheme_end + 3);
  const std::size_t fragment = rest.find('#');
  if (fragment != std::string_view::npos) rest = rest.substr(0, fragment);
  const std::size_t path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  std::string basic;
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    if (userinfo.find(':') == std::string_view::npos) {
      error = "a user name in the URL needs its password: http://USER:PASSWORD@HOST/...";
      return std::nullopt;
    }
    const auto decoded = text::percent_decode(userinfo);
    if (!decoded) {
      error = "the user name or password in the URL has a bad percent-encoding";
      return std::nullopt;
    }
    basic = *decoded;
  }
  if (authority.empty()) {
    error = "the URL names no host";
    return std::nullopt;
  }
  // The authority has the same shape as camview's HOST[:PORT]; only the default port differs.
  const bool has_port = authority.back() != ']' && authority.rfind(':') != std::string_view::npos;
  std::string with_port(authority);
  if (!has_port) with_port += tls ? ":443" : ":80";
  std::string target_error;
  const auto server = parse_target(with_port, target_error);
  if (!server) {
    error = target_error;
    return std::nullopt;
  }
  HttpUrl url;
  url.server = *server;
  url.basic = std::move(basic);
  url.tls = tls;
  url.target = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (url.target.front() == '?') url.target.insert(url.target.begin(), '/');
  return url;
}

bool is_camstreams_url(std::string_view text) {
  return lower(text.substr(0, std::min(text.size(), std::size_t{13}))) == "camstreams://";
}

std::optional<HostPort> parse_camstreams_url(std::string_view text, std::string& error) {
  if (text.size() > kMaxUrlLength) {
    error = "the URL is longer than 2048 characters";
    return std::nullopt;
  }
  std::string_view rest = text.substr(13);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#@") != std::string_view::npos) {
    error = "a camstreams:// URL is only HOST[:PORT]; the token goes in --token";
    return std::nullopt;
  }
  return parse_target(rest, error);
}

std::string to_string(const HttpUrl& url) {
  return (url.tls ? "https://" : "http://") + to_string(url.server) + url.target;
}

}  // namespace camstream
