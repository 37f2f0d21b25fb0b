// address_test.cpp - "[HOST:]PORT" and "HOST[:PORT]" as users type them.
#include "shared/address.hpp"

#include <string>

#include <gtest/gtest.h>

namespace camstream {
namespace {

struct Good {
  const char* text;
  const char* host;
  std::uint16_t port;
};

TEST(ParseListen, GoodCases) {
  const Good cases[] = {
      {"8080", "0.0.0.0", 8080},       {"0", "0.0.0.0", 0},
      {"65535", "0.0.0.0", 65535},     {"127.0.0.1:8080", "127.0.0.1", 8080},
      {":9000", "0.0.0.0", 9000},      {"[::1]:0", "::1", 0},
      {"[::]:8080", "::", 8080},       {"[fe80::1%eth0]:1234", "fe80::1%eth0", 1234},
      {"localhost:1", "localhost", 1},
  };
  for (const auto& c : cases) {
    std::string error;
    const auto hp = parse_listen(c.text, error);
    ASSERT_TRUE(hp.has_value()) << c.text << ": " << error;
    EXPECT_EQ(hp->host, c.host) << c.text;
    EXPECT_EQ(hp->port, c.port) << c.text;
  }
}

TEST(ParseListen, BadCases) {
  const char* cases[] = {
      "",             // empty
      "localhost",    // missing port
      "127.0.0.1",    // missing port
      "127.0.0.1:",   // missing port after ':'
      "[::1]",        // missing port
      "[::1]:",       // missing port after ':'
      "[::1",         // unclosed bracket
      "[::1]8080",    // no ':' after ']'
      "::1:8080",     // IPv6 without brackets
      "65536",        // port > 65535 (would be read as a host, then no port)
      "99999",        //
      "host:99999",   // port > 65535
      "host:65536",   //
      "host:123456",  //
      "host:-1",      //
      "host:80x",     //
      "host:abc",     //
      "[::1]:70000",  //
  };
  for (const char* text : cases) {
    std::string error;
    EXPECT_FALSE(parse_listen(text, error).has_value()) << "'" << text << "' was accepted";
    EXPECT_FALSE(error.empty()) << "'" << text << "' gave no reason";
  }
}

TEST(ParseListen, ErrorsNameTheProblem) {
  std::string error;
  parse_listen("host:99999", error);
  EXPECT_NE(error.find("99999"), std::string::npos) << error;
  parse_listen("::1:80", error);
  EXPECT_NE(error.find("bracket"), std::string::npos) << error;
  parse_listen("localhost", error);
  EXPECT_NE(error.find("port"), std::string::npos) << error;
}

TEST(ParseTarget, GoodCases) {
  const Good cases[] = {
      {"pi.local", "pi.local", kDefaultPort},
      {"10.0.0.7:9000", "10.0.0.7", 9000},
      {"[::1]:8080", "::1", 8080},
      {"[::1]", "::1", kDefaultPort},
      {"host:65535", "host", 65535},
      {"host:1", "host", 1},
  };
  for (const auto& c : cases) {
    std::string error;
    const auto hp = parse_target(c.text, error);
    ASSERT_TRUE(hp.has_value()) << c.text << ": " << error;
    EXPECT_EQ(hp->host, c.host) << c.text;
    EXPECT_EQ(hp->port, c.port) << c.text;
  }
}

TEST(ParseTarget, BadCases) {
  const char* cases[] = {
      "",            // empty
      ":8080",       // missing host
      "[]:8080",     // missing host
      "host:",       // missing port after ':'
      "host:0",      // a viewer cannot connect to port 0
      "host:65536",  // port > 65535
      "host:99999",  //
      "host:abc",    //
      "[::1",        // unclosed bracket
      "[::1]:",      // missing port after ':'
      "[::1]x",      // no ':' after ']'
      "fe80::1",     // IPv6 without brackets
      "::1:8080",    //
  };
  for (const char* text : cases) {
    std::string error;
    EXPECT_FALSE(parse_target(text, error).has_value()) << "'" << text << "' was accepted";
    EXPECT_FALSE(error.empty()) << "'" << text << "' gave no reason";
  }
}

TEST(AddressToString, BracketsIpv6AndRoundTrips) {
  EXPECT_EQ(to_string(HostPort{"127.0.0.1", 80}), "127.0.0.1:80");
  EXPECT_EQ(to_string(HostPort{"::1", 8080}), "[::1]:8080");
  for (const char* text : {"127.0.0.1:80", "[::1]:8080", "pi.local:9000"}) {
    std::string error;
    const auto hp = parse_target(text, error);
    ASSERT_TRUE(hp.has_value()) << text;
    EXPECT_EQ(to_string(*hp), text);
  }
}

}  // namespace
}  // namespace camstream
