// address_limit_test.cpp - AddressLimit's counts and limit_key's grouping of addresses.
#include "device/serve/address_limit.hpp"

#include <gtest/gtest.h>

namespace camstream {
namespace {

asio::ip::address ip(const char* text) {
  return asio::ip::make_address(text);
}

TEST(LimitKey, IPv4AsItIsIPv6ByItsSlash64) {
  EXPECT_EQ(limit_key(ip("192.168.1.20")), ip("192.168.1.20"));
  EXPECT_EQ(limit_key(ip("::ffff:192.168.1.20")), ip("192.168.1.20"));
  EXPECT_EQ(limit_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")), ip("2001:db8:1:2::"));
  EXPECT_EQ(limit_key(ip("2001:db8:1:2::1")), limit_key(ip("2001:db8:1:2:ffff::9")));
  EXPECT_NE(limit_key(ip("2001:db8:1:2::1")), limit_key(ip("2001:db8:1:3::1")));
  EXPECT_EQ(limit_key_text(ip("2001:db8:1:2::7")), "2001:db8:1:2::/64");
  EXPECT_EQ(limit_key_text(ip("10.0.0.7")), "10.0.0.7");
}

TEST(AddressLimit, RefusesTheConnectionOverTheLimitAndCountsDown) {
  AddressLimit limit(2);
  const auto a = ip("10.0.0.1");
  const auto b = ip("10.0.0.2");
  EXPECT_TRUE(limit.add(a));
  EXPECT_TRUE(limit.add(a));
  EXPECT_FALSE(limit.add(a));
  EXPECT_EQ(limit.count(a), 2);
  EXPECT_TRUE(limit.add(b));
  limit.remove(a);
  EXPECT_TRUE(limit.add(a));
  EXPECT_EQ(limit.count(a), 2);
}

TEST(AddressLimit, ForgetsAddressesWithNothingOpen) {
  AddressLimit limit(4);
  for (int i = 0; i < 100; ++i) {
    const auto a = asio::ip::address_v4(0x0a000000u + static_cast<unsigned>(i));
    ASSERT_TRUE(limit.add(a));
    limit.remove(a);
  }
  EXPECT_EQ(limit.keys(), 0u);
  limit.remove(ip("10.9.9.9"));  // never added: no effect
  EXPECT_EQ(limit.keys(), 0u);
}

TEST(AddressLimit, ZeroMeansNoLimit) {
  AddressLimit limit(0);
  for (int i = 0; i < 10000; ++i)
    ASSERT_TRUE(limit.add(ip("10.0.0.1")));
  EXPECT_EQ(limit.count(ip("10.0.0.1")), 10000);
}

}  // namespace
}  // namespace camstream
