// address.cpp - host and port parsing for the command lines of both programs.
#include "shared/address.hpp"

#include <charconv>

namespace camstream {
namespace {

std::optional<std::uint16_t> parse_port(std::string_view s) {
  unsigned value = 0;
  if (s.empty() || s.size() > 5) return std::nullopt;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size() || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// Splits "host:port" / "[v6]:port" / "host". `port` stays empty when none is given.
bool split(std::string_view text, std::string_view& host, std::string_view& port,
           std::string& error) {
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      error = "missing ']' after an IPv6 address";
      return false;
    }
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        error = "expected ':' after ']'";
        return false;
      }
      port = rest.substr(1);
      if (port.empty()) {
        error = "missing port after ':'";
        return false;
      }
    }
    return true;
  }
  const auto colon = text.rfind(':');
  if (colon != std::string_view::npos && text.find(':') != colon) {
    error = "an IPv6 address must be written in brackets, e.g. [::1]:8080";
    return false;
  }
  if (colon == std::string_view::npos) {
    host = text;
  } else {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (port.empty()) {
      error = "missing port after ':'";
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<HostPort> parse_listen(std::string_view text, std::string& error) {
  if (text.empty()) {
    error = "empty address";
    return std::nullopt;
  }
  // A bare number is a port.
  if (const auto port = parse_port(text)) return HostPort{"0.0.0.0", *port};
  std::string_view host, port;
  if (!split(text, host, port, error)) return std::nullopt;
  if (port.empty()) {
    error = "missing port: give PORT or HOST:PORT";
    return std::nullopt;
  }
  const auto p = parse_port(port);
  if (!p) {
    error = "port '" + std::string(port) + "' is not a number from 0 to 65535";
    return std::nullopt;
  }
  return HostPort{host.empty() ? std::string("0.0.0.0") : std::string(host), *p};
}

std::optional<HostPort> parse_target(std::string_view text, std::string& error) {
  std::string_view host, port;
  if (text.empty()) {
    error = "empty address";
    return std::nullopt;
  }
  if (!split(text, host, port, error)) return std::nullopt;
  if (host.empty()) {
    error = "missing host";
    return std::nullopt;
  }
  std::uint16_t p = kDefaultPort;
  if (!port.empty()) {
    const auto parsed = parse_port(port);
    if (!parsed || *parsed == 0) {
      error = "port '" + std::string(port) + "' is not a number from 1 to 65535";
      return std::nullopt;
    }
    p = *parsed;
  }
  return HostPort{std::string(host), p};
}

std::string to_string(const HostPort& hp) {
  const bool v6 = hp.host.find(':') != std::string::npos;
  return (v6 ? "[" + hp.host + "]" : hp.host) + ":" + std::to_string(hp.port);
}

bool is_loopback(std::string_view host) {
  return host == "localhost" || host == "::1" || host.substr(0, 4) == "127.";
}

}  // namespace camstream
