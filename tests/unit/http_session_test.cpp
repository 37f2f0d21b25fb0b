// http_session_test.cpp - HttpSession through a real loopback socket: requests in turn on a
// kept-alive connection, snapshots, errors, timeouts and the MJPEG stream.
#include "device/serve/http_session.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "device/serve/hub.hpp"
#include "device/serve/server.hpp"
#include "shared/text.hpp"
#include "tests/unit/helpers.hpp"

namespace camstream {
namespace {

using namespace std::chrono_literals;
using testing::kTimeout;
using testing::LoopbackClient;
using testing::make_encoded_frame;
using testing::make_filler_frame;

struct Response {
  int status = 0;
  std::map<std::string, std::string> fields;  // names in lower case
  std::string body;
  std::string field(const std::string& name) const {
    const auto it = fields.find(name);
    return it == fields.end() ? std::string() : it->second;
  }
};

// An HTTP client for the tests: whole requests out, heads and bodies in, every read bounded.
class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port) : socket_(port) {}
  bool connected() const { return socket_.connected(); }

  bool send(const std::string& bytes) {
    return !socket_.write(
        std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  }

  // A head: the lines up to the empty one. Nothing when the peer closes or is silent.
  std::optional<std::string> read_head() {
    std::string head;
    while (head.size() < 16384) {
      std::uint8_t c = 0;
      if (socket_.read(&c, 1)) return std::nullopt;
      head += static_cast<char>(c);
      if (head.size() >= 4 && head.compare(head.size() - 4, 4, "\r\n\r\n") == 0) return head;
    }
    ADD_FAILURE() << "a head longer than 16 KiB";
    return std::nullopt;
  }

  std::optional<std::string> read_body(std::size_t size) {
    std::string body(size, '\0');
    if (size > 0 && socket_.read(reinterpret_cast<std::uint8_t*>(body.data()), size))
      return std::nullopt;
    return body;
  }

  // A response to a request (with `head_request` a HEAD: no body whatever Content-Length says).
  std::optional<Response> read_response(bool head_request = false) {
    auto head = read_head();
    if (!head) return std::nullopt;
    Response r = parse(*head, true);
    if (!head_request && !r.field("content-length").empty()) {
      auto body = read_body(std::stoul(r.field("content-length")));
      if (!body) return std::nullopt;
      r.body = std::move(*body);
    }
    return r;
  }

  // One part of a multipart stream: its boundary line, head, JPEG and closing CRLF.
  std::optional<Response> read_part() {
    auto head = read_head();
    if (!head) return std::nullopt;
    EXPECT_EQ(head->rfind("--camstreamframe\r\n", 0), 0u) << *head;
    Response part = parse(head->substr(head->find("\r\n") + 2), false);
    auto body = read_body(std::stoul(part.field("content-length")) + 2);
    if (!body) return std::nullopt;
    EXPECT_EQ(body->substr(body->size() - 2), "\r\n");
    part.body = body->substr(0, body->size() - 2);
    return part;
  }

  bool wait_closed() { return socket_.wait_closed(); }
  void close() { socket_.close(); }

 private:
  static Response parse(const std::string& head, bool status_line) {
    Response r;
    std::size_t pos = 0;
    if (status_line) {
      const std::size_t end = head.find("\r\n");
      EXPECT_EQ(head.rfind("HTTP/1.1 ", 0), 0u) << head;
      r.status = std::stoi(head.substr(9, 3));
      pos = end + 2;
    }
    while (pos < head.size()) {
      const std::size_t end = head.find("\r\n", pos);
      if (end == pos) break;
      const std::string line = head.substr(pos, end - pos);
      const std::size_t colon = line.find(':');
      r.fields[text::lower(line.substr(0, colon))] =
          std::string(text::trim(line.substr(colon + 1)));
      pos = end + 2;
    }
    return r;
  }

  LoopbackClient socket_;
};

class HttpSessionTest : public ::testing::Test {
 protected:
  void start(std::chrono::milliseconds request_timeout = 1h) {
    ServerLimits limits;
    limits.handshake_timeout = request_timeout;
    start(limits);
  }
  void start(const ServerLimits& limits) { ASSERT_TRUE(harness_.start(limits)); }
  std::unique_ptr<HttpClient> client() {
    auto c = std::make_unique<HttpClient>(harness_.port());
    EXPECT_TRUE(c->connected());
    return c;
  }
  template <typename Pred>
  bool stats_eventually(Pred pred) {
    return harness_.stats_eventually(pred);
  }
  // Waits until the hub has been asked for a frame (a snapshot waits for one), then publishes.
  void publish_when_asked(EncodedFramePtr frame) {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (!hub_.demand().request_pending()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "nobody asked for a frame";
      std::this_thread::sleep_for(1ms);
    }
    hub_.publish(std::move(frame));
  }

  testing::ServerHarness harness_;
  Hub& hub_ = harness_.hub();
};

TEST_F(HttpSessionTest, ASnapshotIsTheNextJpegWhileNobodyStreams) {
  start();
  auto c = client();
  ASSERT_TRUE(c->send("GET /snapshot HTTP/1.1\r\nHost: cam\r\n\r\n"));
  const EncodedFramePtr frame = make_encoded_frame(6);
  publish_when_asked(frame);
  const auto r = c->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->field("content-type"), "image/jpeg");
  EXPECT_EQ(r->field("x-sequence"), "6");
  EXPECT_EQ(r->field("cache-control"), "no-store");
  EXPECT_EQ(r->field("connection"), "keep-alive");
  const auto jpeg = frame->jpeg();
  EXPECT_EQ(r->body, std::string(jpeg.begin(), jpeg.end()));
}

TEST_F(HttpSessionTest, RequestsOnAKeptAliveConnectionAreAnsweredInTurn) {
  start();
  auto c = client();
  // Pipelined: three requests in one write, three answers in order.
  ASSERT_TRUE(
      c->send("GET /status HTTP/1.1\r\nHost: a\r\n\r\nHEAD /metrics HTTP/1.1\r\nHost: a\r\n\r\n"
              "GET /nothing-here HTTP/1.1\r\nHost: a\r\n\r\n"));
  const auto status = c->read_response();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, 200);
  EXPECT_EQ(status->field("content-type"), "application/json");
  EXPECT_EQ(status->body.front(), '{');
  EXPECT_NE(status->body.find("\"accepted\":1"), std::string::npos) << status->body;
  const auto metrics = c->read_response(true);
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->field("content-length"), "0") << "HEAD gives the length of the body";
  const auto missing = c->read_response();  // no metrics body came between the two
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("try /stream, /snapshot"), std::string::npos) << missing->body;
  EXPECT_EQ(missing->field("connection"), "close");
  EXPECT_TRUE(c->wait_closed());
}

TEST_F(HttpSessionTest, AMethodNotServedGets405WithTheAllowedOnes) {
  start();
  auto c = client();
  ASSERT_TRUE(c->send("POST /stream HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"));
  const auto r = c->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->field("allow"), "GET, HEAD");
  EXPECT_TRUE(c->wait_closed());
}

TEST_F(HttpSessionTest, AMalformedRequestGets400AndCountsAsRefused) {
  start();
  auto c = client();
  ASSERT_TRUE(c->send("GET / HTTP/1.1\r\nHost a\r\n\r\n"));  // a field without a colon
  const auto r = c->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(c->wait_closed());
  // The server shut its side and drains what the client may still send until it closes too.
  c->close();
  EXPECT_TRUE(stats_eventually([](const ServerStats& s) { return s.rejected == 1; }));
  EXPECT_TRUE(stats_eventually([](const ServerStats& s) { return s.clients == 0; }));
}

TEST_F(HttpSessionTest, AHeadThatDoesNotArriveInTimeGets408) {
  start(200ms);
  auto c = client();
  ASSERT_TRUE(c->send("GET /status HTTP/1.1\r\n"));  // and then nothing
  const auto r = c->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 408);
  EXPECT_TRUE(c->wait_closed());
}

TEST_F(HttpSessionTest, TheStreamSendsEachFrameAsAPartAndCountsAWatcher) {
  start();
  hub_.publish(make_encoded_frame(1));  // the current picture, sent at once
  auto c = client();
  ASSERT_TRUE(c->send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n"));
  const auto head = c->read_response(true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->field("content-type"), "multipart/x-mixed-replace;boundary=camstreamframe");
  EXPECT_EQ(head->field("content-length"), "");
  std::vector<EncodedFramePtr> frames{nullptr, make_encoded_frame(1)};
  auto first = c->read_part();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->field("x-sequence"), "1");
  EXPECT_EQ(hub_.demand().watchers(), 1);
  for (std::uint64_t seq = 2; seq <= 4; ++seq) {
    const EncodedFramePtr f = make_encoded_frame(seq);
    hub_.publish(f);
    const auto part = c->read_part();
    ASSERT_TRUE(part) << "frame " << seq;
    EXPECT_EQ(part->field("content-type"), "image/jpeg");
    EXPECT_EQ(part->field("x-sequence"), std::to_string(seq));
    EXPECT_FALSE(part->field("x-timestamp").empty());
    EXPECT_EQ(part->body, std::string(f->jpeg().begin(), f->jpeg().end()));
  }
  // /status from another client lists this one as an HTTP stream.
  auto other = client();
  ASSERT_TRUE(other->send("GET /status HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
  const auto status = other->read_response();
  ASSERT_TRUE(status);
  EXPECT_NE(status->body.find("\"kind\":\"http\""), std::string::npos) << status->body;
  EXPECT_NE(status->body.find("\"sent\":4"), std::string::npos) << status->body;
  other->close();
  // Leaving gives the watcher back and the session is forgotten.
  c->close();
  EXPECT_TRUE(stats_eventually([](const ServerStats& s) { return s.clients == 0; }));
  EXPECT_EQ(hub_.demand().watchers(), 0);
}

TEST_F(HttpSessionTest, ASlowStreamClientSkipsFramesButEndsOnTheNewest) {
  start();
  auto c = client();
  ASSERT_TRUE(c->send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n"));
  ASSERT_TRUE(c->read_response(true));
  // 30 parts of 2 MB, far more than the socket buffers hold, while the client reads nothing.
  constexpr std::uint64_t kFrames = 30;
  for (std::uint64_t seq = 1; seq <= kFrames; ++seq)
    hub_.publish(make_filler_frame(seq, 2u << 20));
  ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.frames_skipped > 0; }));
  std::uint64_t last = 0, received = 0;
  while (last < kFrames) {
    const auto part = c->read_part();
    ASSERT_TRUE(part) << "nothing after " << last;
    const std::uint64_t seq = std::stoull(part->field("x-sequence"));
    EXPECT_GT(seq, last) << "frames never go backwards";
    last = seq;
    ++received;
  }
  EXPECT_LT(received, kFrames);
  EXPECT_TRUE(stats_eventually([&](const ServerStats& s) {
    return s.frames_sent == received && s.frames_sent + s.frames_skipped == kFrames;
  }));
}

TEST_F(HttpSessionTest, AKeptAliveConnectionBetweenRequestsIsAHandshakeAgain) {
  ServerLimits limits;
  limits.handshake_timeout = 1h;
  limits.max_handshakes = 1;
  limits.handshake_grace = 1ms;
  start(limits);
  auto idle = client();
  ASSERT_TRUE(idle->send("GET /status HTTP/1.1\r\nHost: a\r\n\r\n"));
  const auto r = idle->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->field("connection"), "keep-alive");
  // Waiting for its next request it holds the only handshake slot, until a newcomer needs it.
  EXPECT_TRUE(stats_eventually([](const ServerStats& s) { return s.handshakes == 1; }));
  auto newcomer = client();
  EXPECT_TRUE(idle->wait_closed());
  ASSERT_TRUE(newcomer->send("GET /status HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
  const auto answer = newcomer->read_response();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_NE(answer->body.find("\"handshakes_dropped\":1"), std::string::npos) << answer->body;
}

TEST_F(HttpSessionTest, OverTheClientLimitARequestGets503WithRetryAfter) {
  ServerLimits limits;
  limits.handshake_timeout = 1h;
  limits.max_clients = 1;
  start(limits);
  auto streaming = client();
  ASSERT_TRUE(streaming->send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n"));
  ASSERT_TRUE(streaming->read_response(true));
  auto late = client();
  ASSERT_TRUE(late->send("GET /snapshot HTTP/1.1\r\nHost: a\r\n\r\n"));
  const auto r = late->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->field("retry-after"), "5");
  EXPECT_EQ(r->field("connection"), "close");
  EXPECT_TRUE(late->wait_closed());
  late->close();
  EXPECT_TRUE(stats_eventually(
      [](const ServerStats& s) { return s.over_client_limit == 1 && s.rejected == 1; }));
}

TEST_F(HttpSessionTest, AStreamClientThatStopsReadingIsCut) {
  ServerLimits limits;
  limits.handshake_timeout = 1h;
  limits.write_timeout = 300ms;
  start(limits);
  auto c = client();
  ASSERT_TRUE(c->send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n"));
  ASSERT_TRUE(c->read_response(true));
  std::uint64_t seq = 0;
  while (harness_.stats().stalled == 0) {
    ASSERT_LT(seq, 100000u) << "a client that reads nothing was never cut";
    hub_.publish(make_filler_frame(++seq, 1u << 20));
    std::this_thread::sleep_for(1ms);  // the pace of a camera, not a flood of the loop
  }
  EXPECT_TRUE(stats_eventually([](const ServerStats& s) { return s.clients == 0; }));
  EXPECT_EQ(hub_.demand().watchers(), 0);
}

}  // namespace
}  // namespace camstream
