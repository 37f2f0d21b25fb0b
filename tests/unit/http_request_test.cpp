// http_request_test.cpp - the daemon's HTTP request parser over good, malformed and oversized
// heads.
#include "device/serve/http_request.hpp"

#include <string>

#include <gtest/gtest.h>

namespace camstream::http {
namespace {

using State = ParseResult::State;

ParseResult parse(const std::string& text, Request& r) {
  return parse_request(text, r);
}

int status_of(const std::string& text) {
  Request r;
  const ParseResult p = parse(text, r);
  return p.state == State::kError ? p.status : 0;
}

TEST(HttpRequest, CompleteGetWithFields) {
  Request r;
  const std::string text =
      "GET /stream?x=1 HTTP/1.1\r\nHost: cam:8080\r\nUser-Agent:  curl/7 \r\n\r\nGET";
  const ParseResult p = parse(text, r);
  ASSERT_EQ(p.state, State::kComplete) << p.reason;
  EXPECT_EQ(p.head_size, text.size() - 3);  // a pipelined request's bytes stay unconsumed
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/stream");
  EXPECT_EQ(r.query, "x=1");
  EXPECT_EQ(r.minor_version, 1);
  EXPECT_EQ(r.field("user-agent").value_or(""), "curl/7");
  EXPECT_TRUE(r.keep_alive());
  EXPECT_FALSE(r.has_body);
}

TEST(HttpRequest, IncompleteUntilTheEmptyLine) {
  const std::string full = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  for (std::size_t n = 0; n < full.size(); ++n) {
    Request r;
    EXPECT_EQ(parse(full.substr(0, n), r).state, State::kIncomplete) << n;
  }
}

TEST(HttpRequest, MjpgStreamerQuery) {
  Request r;
  ASSERT_EQ(parse("GET /?action=snapshot&n=3 HTTP/1.1\r\nHost: a\r\n\r\n", r).state,
            State::kComplete);
  EXPECT_EQ(r.path, "/");
  EXPECT_EQ(r.query_value("action").value_or(""), "snapshot");
  EXPECT_EQ(r.query_value("n").value_or(""), "3");
  EXPECT_FALSE(r.query_value("missing").has_value());
}

TEST(HttpRequest, AbsoluteFormTarget) {
  Request r;
  ASSERT_EQ(parse("GET http://cam:8080/snapshot HTTP/1.1\r\nHost: cam\r\n\r\n", r).state,
            State::kComplete);
  EXPECT_EQ(r.path, "/snapshot");
  ASSERT_EQ(parse("GET HTTP://cam HTTP/1.1\r\nHost: cam\r\n\r\n", r).state, State::kComplete);
  EXPECT_EQ(r.path, "/");
}

TEST(HttpRequest, KeepAliveRules) {
  Request r;
  ASSERT_EQ(parse("GET / HTTP/1.0\r\n\r\n", r).state, State::kComplete);
  EXPECT_FALSE(r.keep_alive());
  ASSERT_EQ(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", r).state, State::kComplete);
  EXPECT_TRUE(r.keep_alive());
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n", r).state,
            State::kComplete);
  EXPECT_FALSE(r.keep_alive());
}

TEST(HttpRequest, LeadingEmptyLinesAreSkipped) {
  Request r;
  const ParseResult p = parse("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", r);
  ASSERT_EQ(p.state, State::kComplete);
  EXPECT_EQ(p.head_size, 4u + 27u);
  // Arriving a byte at a time, the empty line is not yet a bad method at its CR (the
  // http_request fuzz target found that one).
  const std::string full = "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  for (std::size_t n = 0; n < full.size(); ++n)
    EXPECT_EQ(parse(full.substr(0, n), r).state, State::kIncomplete) << n;
}

TEST(HttpRequest, BodiesAreNoticed) {
  Request r;
  ASSERT_EQ(parse("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", r).state,
            State::kComplete);
  EXPECT_TRUE(r.has_body);
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", r).state,
            State::kComplete);
  EXPECT_FALSE(r.has_body);
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", r).state,
            State::kComplete);
  EXPECT_TRUE(r.has_body);
}

TEST(HttpRequest, MalformedRequestsGet400) {
  const char* cases[] = {
      "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",            // two spaces
      "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",            // trailing space in the version
      "GET /\r\nHost: a\r\n\r\n",                      // no version
      "GET / HTTX/1.1\r\nHost: a\r\n\r\n",             // not HTTP
      "GET / HTTP/1.11\r\nHost: a\r\n\r\n",            // version too long
      "G@T / HTTP/1.1\r\nHost: a\r\n\r\n",             // method not a token
      "GET foo HTTP/1.1\r\nHost: a\r\n\r\n",           // neither origin nor absolute form
      "GET * HTTP/1.1\r\nHost: a\r\n\r\n",             // '*' only for OPTIONS
      "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n",        // control character in the target
      "GET / HTTP/1.1\nHost: a\n\n",                   // bare LF
      "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n",       // bare CR
      "GET / HTTP/1.1\r\nHost : a\r\n\r\n",            // space before the colon
      "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",  // obsolete line folding
      "GET / HTTP/1.1\r\nno colon here\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n",  // DEL in a value
      "GET / HTTP/1.1\r\n\r\n",                         // HTTP/1.1 without Host
      "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",   // two Hosts
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
      "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n",  // absolute form without authority
  };
  for (const char* c : cases)
    EXPECT_EQ(status_of(c), 400) << c;
}

TEST(HttpRequest, ProvenErrorsNeedNoMoreBytes) {
  // A bad method or a control byte is refused before the head is complete.
  EXPECT_EQ(status_of("G(T"), 400);
  EXPECT_EQ(status_of("GET / HT\x01"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\nHo"), 400);
  EXPECT_EQ(status_of("GET / HTTP/3.0\r\nHo"), 505);
}

TEST(HttpRequest, OtherVersionsGet505) {
  EXPECT_EQ(status_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(status_of("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), 505);
}

TEST(HttpRequest, OversizedHeadsAreBounded) {
  // A request line over its bound, whether or not its end has arrived.
  const std::string long_target(kMaxRequestLine + 10, 'a');
  EXPECT_EQ(status_of("GET /" + long_target), 414);
  EXPECT_EQ(status_of("GET /" + long_target + " HTTP/1.1\r\nHost: a\r\n\r\n"), 414);
  // Fields that never end, and fields that end too late.
  std::string fields = "GET / HTTP/1.1\r\nHost: a\r\n";
  while (fields.size() <= kMaxHeadBytes)
    fields += "X-Filler: 0123456789012345678901234567890123456789\r\n";
  EXPECT_EQ(status_of(fields), 431);
  EXPECT_EQ(status_of(fields + "\r\n"), 431);
  // Too many fields, each small.
  std::string many = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (std::size_t i = 0; i < kMaxHeaderFields; ++i)
    many += "X: y\r\n";
  EXPECT_EQ(status_of(many + "\r\n"), 431);
  // Endless empty lines are bounded too.
  std::string crlfs;
  while (crlfs.size() <= kMaxHeadBytes)
    crlfs += "\r\n";
  EXPECT_EQ(status_of(crlfs), 431);
}

TEST(HttpRequest, AtTheBoundIsStillAccepted) {
  std::string head = "GET / HTTP/1.1\r\nHost: a\r\n";
  const std::string end = "\r\n";
  const std::string prefix = "X: ";
  head += prefix + std::string(kMaxHeadBytes - head.size() - prefix.size() - 2 - end.size(), 'v') +
          "\r\n" + end;
  ASSERT_EQ(head.size(), kMaxHeadBytes);
  Request r;
  EXPECT_EQ(parse(head, r).state, State::kComplete);
}

}  // namespace
}  // namespace camstream::http
