// http_connection_test.cpp - camview's HTTP MJPEG connection against a scripted server on loopback.
#include "viewer/net/http_connection.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "shared/seqcode.hpp"
#include "tests/unit/helpers.hpp"
#include "tests/unit/viewer_helpers.hpp"
#include "viewer/decode/decoder.hpp"
#include "viewer/net/http_stream.hpp"

namespace camstream {
namespace {

using namespace std::chrono_literals;
using testing::chunked;
using testing::eventually;
using testing::mjpeg_part;
using testing::quick_limits;
using testing::ScriptedPeer;
using testing::wait_closed;
using testing::wait_frame;

const std::string kHead =
    "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace;boundary=camstreamframe\r\n"
    "Cache-Control: no-store\r\n\r\n";

// The test pattern's frame `seq` as a real JPEG, in a string as it goes on the wire.
std::string jpeg(std::uint64_t seq, int width = 320, int height = 240) {
  const auto frame = testing::make_encoded_frame(seq, width, height);
  return {frame->jpeg().begin(), frame->jpeg().end()};
}

// A part as camstreamd sends it: Content-Length and X-Sequence.
std::string numbered_part(const std::string& jpeg_bytes, std::uint64_t seq) {
  return mjpeg_part("--camstreamframe", jpeg_bytes, true,
                    "X-Sequence: " + std::to_string(seq) + "\r\n");
}

// A scripted server and an HttpViewerConnection to its /stream, started.
struct HttpStream {
  ScriptedPeer peer{ScriptedPeer::http_request()};
  FrameMailbox box;
  testing::Notified notified;
  HttpViewerConnection conn;

  explicit HttpStream(ConnectionLimits limits = quick_limits())
      : conn(HttpUrl{HostPort{"127.0.0.1", peer.port()}, "/stream", ""}, box, notified.fn(),
             limits) {
    conn.start();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(peer.port()) + "/stream"; }
};

// The frame carries exactly `sent` as its JPEG, which decodes to the pattern's frame `seq`.
void expect_picture(const ReceivedFrame& frame, const std::string& sent, std::uint64_t seq) {
  ASSERT_EQ(frame.jpeg().size(), sent.size());
  EXPECT_EQ(frame.header.jpeg_size, sent.size());
  EXPECT_TRUE(std::string(frame.jpeg().begin(), frame.jpeg().end()) == sent);
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.decode(frame)) << decoder.error();
  const Yuv420Image& img = decoder.image();
  EXPECT_EQ(seqcode::read(img.y(), img.y_stride(), img.width(), img.height()),
            std::optional<std::uint32_t>(static_cast<std::uint32_t>(seq)));
}

TEST(HttpViewerConnection, SendsOneGetAndDeliversEachPartWithItsSequence) {
  HttpStream s;
  s.peer.send(kHead);
  const std::vector<std::uint64_t> seqs = {7, 8, 11};  // 9 and 10 never come
  std::size_t sent_bytes = kHead.size();
  for (const std::uint64_t seq : seqs) {
    // One part at a time, each taken before the next: the mailbox keeps only the newest.
    const std::string picture = jpeg(seq, seq == 8 ? 1280 : 320, seq == 8 ? 720 : 240);
    const std::string part = numbered_part(picture, seq);
    sent_bytes += part.size();
    s.peer.send(part);
    const auto got = wait_frame(s.box, seq);
    ASSERT_TRUE(got.has_value()) << s.box.reason();
    EXPECT_EQ(got->header.seq, seq);
    EXPECT_GT(got->received_us, 0u);
    expect_picture(*got, picture, seq);
  }
  EXPECT_EQ(s.conn.frames_received(), 3u);
  EXPECT_EQ(s.conn.frames_lost(), 2u);
  // The CRLF after the last JPEG may come in a read of its own.
  EXPECT_TRUE(eventually([&] { return s.conn.bytes_received() == sent_bytes; }))
      << s.conn.bytes_received() << " of " << sent_bytes;
  EXPECT_TRUE(eventually([&] { return s.notified.count.load() >= 3; }));
  std::int64_t offset = 0;
  EXPECT_FALSE(s.conn.clock_offset(offset)) << "HTTP carries no clock exchange";

  const std::string request = s.peer.received();
  EXPECT_EQ(request.rfind("GET /stream HTTP/1.1\r\n", 0), 0u) << request;
  EXPECT_NE(request.find("\r\nHost: 127.0.0.1:" + std::to_string(s.peer.port()) + "\r\n"),
            std::string::npos)
      << request;
  EXPECT_NE(request.find("\r\nConnection: close\r\n"), std::string::npos) << request;
  EXPECT_TRUE(request.ends_with("\r\n\r\n")) << "one request, nothing after it";

  s.conn.stop();
  EXPECT_FALSE(s.box.closed()) << s.box.reason();
  EXPECT_TRUE(eventually([&] { return s.peer.client_gone(); }));
}

// Without X-Sequence or Content-Length (mjpg-streamer, most cameras): each part ends at the
// next boundary and the parts are numbered as they arrive, so none counts as lost.
TEST(HttpViewerConnection, PartsWithoutSequenceOrLengthAreNumberedAsTheyArrive) {
  HttpStream s;
  const std::string first = jpeg(40);
  const std::string second = jpeg(41);
  s.peer.send(kHead + mjpeg_part("--camstreamframe", first, false));
  // The first part ends only where the second one's boundary starts.
  s.peer.send(mjpeg_part("--camstreamframe", second, false));
  const auto one = wait_frame(s.box, 1);
  ASSERT_TRUE(one.has_value()) << s.box.reason();
  EXPECT_EQ(one->header.seq, 1u);
  expect_picture(*one, first, 40);
  s.peer.send("--camstreamframe--\r\n");
  const auto two = wait_frame(s.box, 2);
  ASSERT_TRUE(two.has_value()) << s.box.reason();
  EXPECT_EQ(two->header.seq, 2u);
  expect_picture(*two, second, 41);
  EXPECT_EQ(s.conn.frames_lost(), 0u);
}

// ffmpeg's server: chunked transfer coding, with chunks that cut through JPEGs and parts.
TEST(HttpViewerConnection, ChunkedTransferCoding) {
  HttpStream s;
  const std::string a = jpeg(3, 640, 480);
  const std::string b = jpeg(4);
  const std::string body = numbered_part(a, 3) + numbered_part(b, 4);
  constexpr std::size_t kChunk = 997;
  s.peer.send(
      "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace;boundary=camstreamframe\r\n"
      "Transfer-Encoding: chunked\r\n\r\n");
  // First the chunks that hold all of the first part (the last of them also the second's
  // start), so that it can be taken before the second replaces it.
  const std::size_t first_chunks = (numbered_part(a, 3).size() + kChunk - 1) / kChunk * kChunk;
  s.peer.send(chunked(std::string_view(body).substr(0, first_chunks), kChunk, /*last=*/false));
  const auto first = wait_frame(s.box, 3);
  ASSERT_TRUE(first.has_value()) << s.box.reason();
  expect_picture(*first, a, 3);
  s.peer.send(chunked(std::string_view(body).substr(first_chunks), kChunk));
  const auto second = wait_frame(s.box, 4);
  ASSERT_TRUE(second.has_value()) << s.box.reason();
  expect_picture(*second, b, 4);

  // After the last chunk the server closes: the stream ended, and says so.
  s.peer.hang_up();
  ASSERT_TRUE(wait_closed(s.box));
  EXPECT_EQ(s.box.reason(), "stream ended: " + s.url() + " closed the connection");
}

struct BadServer {
  const char* name;
  std::string script;      // the whole answer; the server hangs up after it when `hang_up`
  bool hang_up;            // else it holds the connection open
  std::string expect;      // the mailbox's close reason, after "URL: " unless `whole`
  bool whole = false;      // `expect` is the whole reason, not what follows "URL: "
  std::uint64_t good = 0;  // X-Sequence of a complete part before the trouble, if any
};

std::vector<BadServer> bad_servers() {
  const std::string good = numbered_part(jpeg(5), 5);
  const std::string part_head = "--camstreamframe\r\nContent-Type: image/jpeg\r\n";
  const std::string big(kMaxPartBytes + 4096, 'x');
  return {
      {"404", "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", false,
       "the server answered 404 Not Found; give the URL of an MJPEG stream, e.g. "
       "http://HOST:PORT/stream"},
      {"redirect", "HTTP/1.1 302 Found\r\nLocation: http://cam/stream\r\n\r\n", false,
       "the server answered 302 Found; it points to http://cam/stream; give that URL instead"},
      {"a web page",
       "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<!doctype html><html></html>\r\n", false,
       "the server's answer is not an MJPEG stream (Content-Type: text/html); give the "
       "stream's URL, e.g. http://HOST:PORT/stream"},
      {"not HTTP", "SSH-2.0-OpenSSH_9.2\r\n", false,
       "the server does not answer in HTTP; is this the right port?"},
      {"a part announced over 16 MiB",
       kHead + good + part_head + "Content-Length: " + std::to_string(kMaxPartBytes + 1) +
           "\r\n\r\n",
       false,
       "the server announced a part of '" + std::to_string(kMaxPartBytes + 1) +
           "' bytes; more than 16 MiB, or not a number",
       false, 5},
      {"a part over 16 MiB without a length", kHead + good + part_head + "\r\n" + big, false,
       "the server sent a part larger than 16 MiB without a Content-Length", false, 5},
      {"a truncated part",
       kHead + good + part_head + "Content-Length: 5000\r\nX-Sequence: 6\r\n\r\n" +
           std::string(1200, 'j'),
       true, "stream ended: URL closed the connection", true, 5},
      {"closed between parts", kHead + good, true, "stream ended: URL closed the connection", true,
       5},
      {"closed before answering", "", true, "the server closed the connection before answering"},
  };
}

TEST(HttpViewerConnection, BadServersEndTheStreamWithAReason) {
  for (const BadServer& c : bad_servers()) {
    SCOPED_TRACE(c.name);
    HttpStream s;
    if (!c.script.empty()) s.peer.send(c.script);
    if (c.hang_up) s.peer.hang_up();
    ASSERT_TRUE(wait_closed(s.box));
    EXPECT_TRUE(s.box.closed_with_error());
    std::string expect = c.expect;
    if (c.whole) {
      expect.replace(expect.find("URL"), 3, s.url());
    } else {
      expect = s.url() + ": " + expect;
    }
    EXPECT_EQ(s.box.reason(), expect);
    // Nothing but the complete part got through: no piece of the bad one.
    testing::expect_last_delivered(s.box, c.good);
    EXPECT_EQ(s.conn.frames_received(), c.good == 0 ? 0u : 1u);
    EXPECT_TRUE(eventually([&] { return s.notified.count.load() >= 1; }));
    // The connection is closed on our side too.
    EXPECT_TRUE(eventually([&] { return s.peer.client_gone(); }));
    s.conn.stop();
  }
}

// Which ends a reconnecting camview gives up on: a server that answered without a stream
// answers the same next time; a 5xx or a stream cut off may mend.
TEST(HttpViewerConnection, AnAnswerWithoutAStreamIsFinal) {
  struct Case {
    std::string answer;
    bool for_good;
    std::string says;
  };
  const Case cases[] = {
      {"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n", true, "refused the credentials"},
      {"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", true, "--token"},
      {"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", true, "404 Not Found"},
      {"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>", true, "not an MJPEG stream"},
      {"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", false, "503"},
      {kHead + numbered_part(jpeg(1), 1), false, "closed the connection"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.answer.substr(0, 30));
    HttpStream s;
    s.peer.send(c.answer);
    s.peer.hang_up();
    ASSERT_TRUE(wait_closed(s.box));
    EXPECT_EQ(s.box.closed_for_good(), c.for_good) << s.box.reason();
    EXPECT_NE(s.box.reason().find(c.says), std::string::npos) << s.box.reason();
    s.conn.stop();
  }
}

// A server that takes the request and then says nothing, or stops in the middle of its head:
// the idle deadline ends the wait, with a reason, long before the test's own bound would.
TEST(HttpViewerConnection, SilentServerTimesOut) {
  for (const std::string& said : {std::string(), std::string("HTTP/1.1 200 OK\r\nContent-")}) {
    SCOPED_TRACE(said);
    ConnectionLimits limits = quick_limits();
    limits.idle_timeout = 200ms;
    HttpStream s(limits);
    if (!said.empty()) s.peer.send(said);
    ASSERT_TRUE(wait_closed(s.box));
    EXPECT_TRUE(s.box.closed_with_error());
    EXPECT_EQ(s.box.reason(), "no data from " + s.url() + " for 0 s; the connection looks dead");
    EXPECT_FALSE(s.box.take().has_value());
    EXPECT_TRUE(eventually([&] { return s.peer.client_gone(); }));
  }
}

TEST(HttpViewerConnection, StopWhileStreamingIsClean) {
  HttpStream s;
  s.peer.send(kHead + numbered_part(jpeg(1), 1));
  ASSERT_TRUE(wait_frame(s.box, 1).has_value()) << s.box.reason();
  s.conn.stop();
  s.conn.stop();  // idempotent; the destructor stops once more
  EXPECT_FALSE(s.box.closed()) << s.box.reason();
  EXPECT_TRUE(eventually([&] { return s.peer.client_gone(); }));
}

}  // namespace
}  // namespace camstream
