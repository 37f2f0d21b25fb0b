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
       {"ftp://cam/", "rtsp://cam/", "http://", "http://user@cam/", "http://u:%zz@cam/",
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

TEST(HttpUrl, HttpsIsTlsOnPort443UnlessNamed) {
  std::string error;
  auto u = parse_http_url("HTTPS://cam/stream", error);
  ASSERT_TRUE(u) << error;
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->server.port, 443);
  EXPECT_EQ(to_string(*u), "https://cam:443/stream");
  u = parse_http_url("https://cam:8080/stream", error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->server.port, 8080);
  EXPECT_FALSE(parse_http_url("http://cam/", error)->tls);
}

TEST(HttpUrl, CamstreamsIsHostAndPortOnly) {
  std::string error;
  EXPECT_TRUE(is_camstreams_url("CamStreams://pi.local"));
  EXPECT_FALSE(is_camstreams_url("camstream://pi.local"));
  EXPECT_FALSE(is_camstreams_url("pi.local:8080"));
  auto t = parse_camstreams_url("camstreams://pi.local", error);
  ASSERT_TRUE(t) << error;
  EXPECT_EQ(t->host, "pi.local");
  EXPECT_EQ(t->port, 8080);
  t = parse_camstreams_url("camstreams://[::1]:9000/", error);
  ASSERT_TRUE(t) << error;
  EXPECT_EQ(t->host, "::1");
  EXPECT_EQ(t->port, 9000);
  for (const char* bad :
       {"camstreams://", "camstreams://pi/stream", "camstreams://u:p@pi", "camstreams://pi:0"}) {
    EXPECT_FALSE(parse_camstreams_url(bad, error)) << bad;
    EXPECT_FALSE(error.empty());
  }
}

}  // namespace
}  // namespace camstream
