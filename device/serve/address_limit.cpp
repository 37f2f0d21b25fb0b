// address_limit.cpp - address keys (IPv4, IPv6 /64) and their connection counts.
#include "device/serve/address_limit.hpp"

namespace camstream {

asio::ip::address limit_key(const asio::ip::address& address) {
  if (!address.is_v6()) return address;
  const asio::ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6);
  asio::ip::address_v6::bytes_type bytes = v6.to_bytes();
  for (std::size_t i = 8; i < bytes.size(); ++i)
    bytes[i] = 0;
  return asio::ip::address_v6(bytes);
}

std::string limit_key_text(const asio::ip::address& address) {
  const asio::ip::address key = limit_key(address);
  return key.is_v6() ? key.to_string() + "/64" : key.to_string();
}

bool AddressLimit::add(const asio::ip::address& key) {
  int& n = counts_[key];
  if (limit_ > 0 && n >= limit_) return false;
  ++n;
  return true;
}

void AddressLimit::remove(const asio::ip::address& key) {
  const auto it = counts_.find(key);
  if (it == counts_.end()) return;
  if (--it->second <= 0) counts_.erase(it);
}

int AddressLimit::count(const asio::ip::address& key) const {
  const auto it = counts_.find(key);
  return it == counts_.end() ? 0 : it->second;
}

}  // namespace camstream
