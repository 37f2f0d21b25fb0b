// address_limit.hpp - how many connections each client address holds, against a limit.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>

#include <asio.hpp>

namespace camstream {

// The address a limit counts a client under: an IPv4 address as it is (an IPv4-mapped IPv6
// one as IPv4), an IPv6 address as its /64 network, because one host is handed a whole /64 and
// can pick a new address from it for every socket.
asio::ip::address limit_key(const asio::ip::address& address);
// limit_key as text, "192.168.1.20" or "2001:db8:1:2::/64", for log lines and ClientLog.
std::string limit_key_text(const asio::ip::address& address);

// Counts open connections per key (limit_key) so that no one host can hold every client and
// handshake slot. Not thread-safe: the server's event loop owns it.
class AddressLimit {
 public:
  // `limit`: connections one key may hold at once; 0 = no limit.
  explicit AddressLimit(int limit) : limit_(limit) {}

  // Counts one more connection for `key`: true, or false (nothing counted) when it already
  // holds the limit.
  bool add(const asio::ip::address& key);
  // One of `key`'s connections closed. Keys are forgotten when their count reaches 0, so memory
  // follows the connections open, not the addresses ever seen.
  void remove(const asio::ip::address& key);

  int count(const asio::ip::address& key) const;
  std::size_t keys() const { return counts_.size(); }
  int limit() const { return limit_; }

 private:
  int limit_;
  std::unordered_map<asio::ip::address, int> counts_;
};

}  // namespace camstream
