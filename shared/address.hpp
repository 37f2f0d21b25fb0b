// address.hpp - parsing "[HOST:]PORT" and "HOST[:PORT]" as users type them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace camstream {

inline constexpr std::uint16_t kDefaultPort = 8080;

struct HostPort {
  std::string host;  // without IPv6 brackets
  std::uint16_t port = 0;
};

// "[HOST:]PORT" as given to --listen: "8080", "0", "127.0.0.1:8080", "[::1]:0", ":8080".
// A missing host means every IPv4 address (0.0.0.0). On failure returns nothing and sets
// `error` to a sentence naming the problem.
std::optional<HostPort> parse_listen(std::string_view text, std::string& error);

// "HOST[:PORT]" as given to camview: "pi.local", "10.0.0.7:9000", "[::1]:8080".
// A missing port means kDefaultPort.
std::optional<HostPort> parse_target(std::string_view text, std::string& error);

// Whether `host` (a listen address) reaches this machine only: 127.0.0.0/8, ::1, localhost.
bool is_loopback(std::string_view host);

// "host:port", with brackets around an IPv6 host.
std::string to_string(const HostPort& hp);

}  // namespace camstream
