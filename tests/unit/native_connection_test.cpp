// native_connection_test.cpp - camview's native connection against the real server and fake peers.
#include "viewer/net/native_connection.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <asio.hpp>
#include <gtest/gtest.h>

#include "shared/protocol.hpp"
#include "shared/seqcode.hpp"
#include "tests/unit/helpers.hpp"
#include "tests/unit/viewer_helpers.hpp"
#include "viewer/decode/decoder.hpp"

namespace camstream {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::make_encoded_frame;
using testing::Notified;
using testing::quick_limits;
using testing::ScriptedPeer;
using testing::wait_closed;
using testing::wait_frame;

std::vector<std::uint8_t> bytes_of(std::span<const std::uint8_t> s) {
  return {s.begin(), s.end()};
}

// Whether the first bytes the peer got are a valid client hello.
bool sent_a_valid_hello(const ScriptedPeer& peer) {
  const std::string got = peer.received();
  proto::ClientHelloBytes bytes{};
  if (got.size() < bytes.size()) return false;
  std::copy_n(got.begin(), bytes.size(), bytes.begin());
  proto::ClientHello hello;
  return proto::decode(bytes, hello) == proto::Error::kNone;
}

// A real server on loopback and a connection to it, streaming once start() returns true.
struct Streaming {
  testing::ServerHarness server;
  FrameMailbox box;
  Notified notified;
  std::unique_ptr<NativeViewerConnection> conn;

  bool start() {
    if (!server.start()) return false;
    conn = std::make_unique<NativeViewerConnection>(HostPort{"127.0.0.1", server.port()}, box,
                                                    notified.fn(), quick_limits());
    conn->start();
    return server.stats_eventually([](const ServerStats& s) { return s.clients == 1; });
  }
};

// A scripted peer and a connection to it, started; the test gives the peer its lines.
struct PeerStream {
  ScriptedPeer peer{ScriptedPeer::native_hello()};
  FrameMailbox box;
  Notified notified;
  NativeViewerConnection conn;

  explicit PeerStream(ConnectionLimits limits = quick_limits())
      : conn(HostPort{"127.0.0.1", peer.port()}, box, notified.fn(), limits) {
    conn.start();
  }
};

TEST(NativeViewerConnection, ReceivesDecodableFramesFromTheServer) {
  Streaming s;
  ASSERT_TRUE(s.start());

  // Keep publishing until the viewer has one: it may join after the first publication.
  std::optional<ReceivedFrame> got;
  for (std::uint64_t seq = 1; seq < 200 && !got; ++seq) {
    s.server.hub().publish(make_encoded_frame(seq, 640, 480));
    got = s.box.wait_take(50ms);
  }
  ASSERT_TRUE(got.has_value()) << s.box.reason();
  EXPECT_EQ(got->header.width, 640);
  EXPECT_EQ(got->header.height, 480);
  EXPECT_EQ(got->jpeg().size(), got->header.jpeg_size);
  EXPECT_GT(got->received_us, 0u);

  FrameDecoder decoder;
  ASSERT_TRUE(decoder.decode(*got)) << decoder.error();
  EXPECT_EQ(decoder.image().width(), 640);
  EXPECT_EQ(seqcode::read(decoder.image().y(), decoder.image().y_stride(), 640, 480),
            std::optional<std::uint32_t>(static_cast<std::uint32_t>(got->header.seq)));
  // notify() follows put(), so it may come a moment after the frame was taken.
  EXPECT_TRUE(eventually([&] { return s.notified.count.load() > 0; }));
  EXPECT_GE(s.conn->frames_received(), 1u);
  EXPECT_GT(s.conn->bytes_received(), got->payload.size());

  // Pings every 20 ms: a pong soon gives the clock offset (same host, same clock: near 0).
  std::int64_t offset = 0;
  ASSERT_TRUE(eventually([&] { return s.conn->clock_offset(offset); }));
  EXPECT_LT(std::abs(offset), 1'000'000) << "one host, one CLOCK_MONOTONIC";

  s.conn->stop();
  EXPECT_FALSE(s.box.closed_with_error()) << s.box.reason();
}

TEST(NativeViewerConnection, CountsSequenceNumbersItNeverReceived) {
  Streaming s;
  ASSERT_TRUE(s.start());
  ASSERT_TRUE(s.server.stats_eventually([](const ServerStats& st) { return st.rejected == 0; }));
  s.server.hub().publish(make_encoded_frame(10));
  ASSERT_TRUE(wait_frame(s.box, 10).has_value()) << s.box.reason();
  EXPECT_EQ(s.conn->frames_lost(), 0u);
  s.server.hub().publish(make_encoded_frame(14));  // 11, 12 and 13 never made it
  ASSERT_TRUE(wait_frame(s.box, 14).has_value()) << s.box.reason();
  EXPECT_EQ(s.conn->frames_lost(), 3u);
  EXPECT_EQ(s.conn->frames_received(), 2u);
  s.conn->stop();
}

TEST(NativeViewerConnection, StreamEndsWhenTheServerStops) {
  Streaming s;
  ASSERT_TRUE(s.start());
  s.server.hub().publish(make_encoded_frame(1));
  ASSERT_TRUE(wait_frame(s.box, 1).has_value()) << s.box.reason();
  s.server.stop_server();
  ASSERT_TRUE(wait_closed(s.box));
  EXPECT_TRUE(s.box.closed_with_error());
  EXPECT_NE(s.box.reason().find("closed the connection"), std::string::npos) << s.box.reason();
}

TEST(NativeViewerConnection, ConnectionRefusedSaysSo) {
  std::uint16_t port = 0;
  {
    // A port that was free a moment ago and has no listener now.
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }
  FrameMailbox box;
  Notified notified;
  NativeViewerConnection conn(HostPort{"127.0.0.1", port}, box, notified.fn(), quick_limits());
  conn.start();
  ASSERT_TRUE(wait_closed(box));
  EXPECT_TRUE(box.closed_with_error());
  EXPECT_NE(box.reason().find("refused"), std::string::npos) << box.reason();
  EXPECT_TRUE(eventually([&] { return notified.count.load() >= 1; }));
  conn.stop();
}

struct BadPeerCase {
  const char* name;
  std::vector<std::uint8_t> script;
  std::string expect;      // in the mailbox's close reason
  std::uint64_t good = 0;  // seq of a good frame delivered before the bad part, if any
};

// Two well-formed Frame messages (with empty JPEGs) carrying these sequence numbers.
std::vector<std::uint8_t> two_frames(std::uint64_t first, std::uint64_t second) {
  std::vector<std::uint8_t> out;
  for (const std::uint64_t seq : {first, second}) {
    proto::FrameHeader f;
    f.seq = seq;
    f.width = 320;
    f.height = 240;
    const auto b = proto::encode_frame_prefix(f);
    out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

std::vector<BadPeerCase> bad_peer_cases() {
  const auto ok_hello = bytes_of(proto::encode(proto::ServerHello{}));
  auto with_hello = [&ok_hello](std::span<const std::uint8_t> rest) {
    auto b = ok_hello;
    b.insert(b.end(), rest.begin(), rest.end());
    return b;
  };
  const std::string http = "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>";

  proto::FrameHeader mismatch;
  mismatch.seq = 1;
  mismatch.width = 320;
  mismatch.height = 240;
  mismatch.jpeg_size = 10;
  auto frame_bytes = bytes_of(proto::encode_frame_prefix(mismatch));
  frame_bytes.resize(frame_bytes.size() + 10);
  frame_bytes[8 + 24 + 3] = 9;  // jpeg_size 9 in a payload that carries 10

  return {
      {"not camstream", std::vector<std::uint8_t>(http.begin(), http.end()),
       "does not speak the camstream protocol"},
      {"other version", bytes_of(proto::encode(proto::ServerHello{4, proto::HelloStatus::kOk, 0})),
       "version 4"},
      {"a version-2 daemon",
       bytes_of(proto::encode(proto::ServerHello{2, proto::HelloStatus::kVersionMismatch, 0})),
       "version 2; this camview speaks version 3: upgrade camstreamd"},
      {"controls to a viewer that asked for none",
       with_hello(proto::encode_text_message(proto::MessageType::kControlsChanged, "{}")),
       std::string(proto::describe(proto::Error::kUnexpectedType))},
      {"version mismatch",
       bytes_of(proto::encode(
           proto::ServerHello{proto::kVersion, proto::HelloStatus::kVersionMismatch, 0})),
       "same release"},
      {"frame over the bound",
       with_hello(proto::encode(
           proto::MessageHeader{proto::MessageType::kFrame, proto::kMaxFramePayload + 1})),
       std::string(proto::describe(proto::Error::kLengthOverBound))},
      {"ping from the daemon", with_hello(proto::encode(proto::Ping{1})),
       std::string(proto::describe(proto::Error::kUnexpectedType))},
      {"unknown type",
       [&] {
         auto b = with_hello(proto::encode(proto::Ping{1}));
         b[proto::kServerHelloSize] = 200;
         return b;
       }(),
       std::string(proto::describe(proto::Error::kUnknownType))},
      {"frame lengths disagree", with_hello(frame_bytes), "bad frame"},
      {"sequence repeated", with_hello(two_frames(5, 5)), "sequence numbers must increase", 5},
      {"sequence going back", with_hello(two_frames(9, 3)), "sequence numbers must increase", 9},
  };
}

TEST(NativeViewerConnection, BadPeersEndTheStreamWithAReason) {
  for (const auto& c : bad_peer_cases()) {
    SCOPED_TRACE(c.name);
    PeerStream s;
    s.peer.send(c.script);
    ASSERT_TRUE(wait_closed(s.box));
    EXPECT_TRUE(s.box.closed_with_error());
    EXPECT_NE(s.box.reason().find(c.expect), std::string::npos) << s.box.reason();
    testing::expect_last_delivered(s.box, c.good);
    EXPECT_TRUE(sent_a_valid_hello(s.peer)) << "the viewer sent no valid hello";
    s.conn.stop();
  }
}

TEST(NativeViewerConnection, SilentPeerTimesOut) {
  ConnectionLimits limits = quick_limits();
  limits.idle_timeout = 200ms;
  PeerStream s(limits);
  s.peer.send(proto::encode(proto::ServerHello{}));
  ASSERT_TRUE(wait_closed(s.box));
  EXPECT_NE(s.box.reason().find("looks dead"), std::string::npos) << s.box.reason();
  s.conn.stop();
}

TEST(NativeViewerConnection, PeerClosingDuringHandshake) {
  PeerStream s;
  s.peer.hang_up();
  ASSERT_TRUE(wait_closed(s.box));
  EXPECT_NE(s.box.reason().find("handshake"), std::string::npos) << s.box.reason();
  s.conn.stop();
}

TEST(NativeViewerConnection, StopWhileStreamingIsClean) {
  Streaming s;
  ASSERT_TRUE(s.start());
  s.conn->stop();
  s.conn->stop();  // idempotent; the destructor stops once more
  s.conn.reset();
  EXPECT_FALSE(s.box.closed_with_error()) << s.box.reason();
  EXPECT_TRUE(s.server.stats_eventually([](const ServerStats& st) { return st.clients == 0; }));
}

}  // namespace
}  // namespace camstream
