// http_url_test.cpp - the http:// URLs camview takes for an MJPEG stream, and those it refuses.
#include "viewer/net/http_url.hpp"

#include <string>

#include <gtest/gtest.h>

namespace camstream {
namespace {

TEST(HttpUrl, ParsesWhatUsersType) {
  std::string error;
  auto u = parse_http_url("http://pi.local:8080/?action=stream", error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->server.host, "pi.local");
  EXPECT_EQ(u->server.port, 8080);
  EXPECT_EQ(u->target, "/?action=stream");
  u = parse_http_url("HTTP://[::1]/stream#frag", error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->server.host, "::1");
  EXPECT_EQ(u->server.port, 80);
  EXPECT_EQ(u->target, "/stream");
  u = parse_http_url("http://cam", error);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->target, "/");
  u = parse_http_url("http://cam?action=stream", error);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->target, "/?action=stream");
  for (const char* bad :
       {"https://cam/", "rtsp://cam/", "http://", "http://user@cam/", "http://u:%zz@cam/",
        "http://cam:0/", "http://cam:99999/", "http://cam/a b"}) {
    EXPECT_FALSE(parse_http_url(bad, error)) << bad;
    EXPECT_FALSE(error.empty());
  }
  // A user name and password become HTTP Basic credentials, kept out of what is shown.
  u = parse_http_url("http://ha%40home:p%3Ass@cam:8080/stream", error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->basic, "ha@home:p:ss");
  EXPECT_EQ(u->server.host, "cam");
  EXPECT_EQ(to_string(*u), "http://cam:8080/stream");
  EXPECT_TRUE(looks_like_url("http://x"));
  EXPECT_FALSE(looks_like_url("pi.local:8080"));
}

}  // namespace
}  // namespace camstream
