// native_connection_test.cpp - camview's native connection against the real server and fake peers.
#include "viewer/net/native_connection.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <asio.hpp>
#include <gtest/gtest.h>

#include "shared/protocol.hpp"
#include "shared/seqcode.hpp"
#include "tests/unit/helpers.hpp"
#include "viewer/decode/decoder.hpp"

namespace camstream {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::kTimeout;
using testing::make_encoded_frame;

// Waits for a frame with at least `seq`; nothing if the mailbox closed or time ran out.
std::optional<ReceivedFrame> wait_frame(FrameMailbox& box, std::uint64_t seq) {
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto f = box.wait_take(50ms);
    if (f && f->header.seq >= seq) return f;
    if (!f && box.closed()) return std::nullopt;
  }
  return std::nullopt;
}

bool wait_closed(const FrameMailbox& box) {
  return eventually([&box] { return box.closed(); });
}

std::vector<std::uint8_t> bytes_of(std::span<const std::uint8_t> s) {
  return {s.begin(), s.end()};
}

// A stand-in daemon on loopback: accepts one client, reads its hello, sends `script`, then
// holds the connection open until the client goes (or closes it at once with `close_after`).
class FakePeer {
 public:
  FakePeer(std::vector<std::uint8_t> script, bool close_after)
      : acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        socket_(io_),
        script_(std::move(script)),
        close_after_(close_after) {
    acceptor_.async_accept(socket_, [this](std::error_code ec) {
      if (ec) return;
      asio::async_read(socket_, asio::buffer(hello_), [this](std::error_code e, std::size_t) {
        if (e) return;
        got_hello_ = proto::decode(hello_, decoded_hello_) == proto::Error::kNone;
        asio::async_write(socket_, asio::buffer(script_), [this](std::error_code, std::size_t) {
          if (close_after_) {
            std::error_code ignored;
            socket_.close(ignored);
            return;
          }
          drain();
        });
      });
    });
    thread_ = std::thread([this] { io_.run(); });
  }

  ~FakePeer() {
    asio::post(io_, [this] {
      std::error_code ignored;
      acceptor_.close(ignored);
      socket_.close(ignored);
    });
    thread_.join();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  bool got_hello() const { return got_hello_.load(); }

 private:
  void drain() {
    socket_.async_read_some(asio::buffer(sink_), [this](std::error_code e, std::size_t) {
      if (!e) drain();
    });
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  asio::ip::tcp::socket socket_;
  std::vector<std::uint8_t> script_;
  bool close_after_;
  proto::ClientHelloBytes hello_{};
  proto::ClientHello decoded_hello_;
  std::atomic<bool> got_hello_{false};
  std::array<std::uint8_t, 256> sink_{};
  std::thread thread_;
};

struct Notified {
  std::atomic<int> count{0};
  std::function<void()> fn() {
    return [this] { count.fetch_add(1); };
  }
};

ConnectionLimits quick_limits() {
  ConnectionLimits l;
  l.connect_timeout = 5s;
  l.idle_timeout = 5s;
  l.ping_interval = 20ms;
  return l;
}

TEST(NativeViewerConnection, ReceivesDecodableFramesFromTheServer) {
  testing::ServerHarness server;
  ASSERT_TRUE(server.start());
  FrameMailbox box;
  Notified notified;
  NativeViewerConnection conn(HostPort{"127.0.0.1", server.port()}, box, notified.fn(),
                              quick_limits());
  conn.start();
  ASSERT_TRUE(server.stats_eventually([](const ServerStats& s) { return s.clients == 1; }));

  // Keep publishing until the viewer has one: it may join after the first publication.
  std::optional<ReceivedFrame> got;
  for (std::uint64_t seq = 1; seq < 200 && !got; ++seq) {
    server.hub().publish(make_encoded_frame(seq, 640, 480));
    got = box.wait_take(50ms);
  }
  ASSERT_TRUE(got.has_value()) << box.reason();
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
  EXPECT_TRUE(eventually([&] { return notified.count.load() > 0; }));
  EXPECT_GE(conn.frames_received(), 1u);
  EXPECT_GT(conn.bytes_received(), got->payload.size());

  // Pings every 20 ms: a pong soon gives the clock offset (same host, same clock: near 0).
  std::int64_t offset = 0;
  ASSERT_TRUE(eventually([&] { return conn.clock_offset(offset); }));
  EXPECT_LT(std::abs(offset), 1'000'000) << "one host, one CLOCK_MONOTONIC";

  conn.stop();
  EXPECT_FALSE(box.closed_with_error()) << box.reason();
}

TEST(NativeViewerConnection, CountsSequenceNumbersItNeverReceived) {
  testing::ServerHarness server;
  ASSERT_TRUE(server.start());
  FrameMailbox box;
  Notified notified;
  NativeViewerConnection conn(HostPort{"127.0.0.1", server.port()}, box, notified.fn(),
                              quick_limits());
  conn.start();
  ASSERT_TRUE(server.stats_eventually([](const ServerStats& s) { return s.clients == 1; }));
  ASSERT_TRUE(server.stats_eventually([](const ServerStats& s) { return s.rejected == 0; }));
  server.hub().publish(make_encoded_frame(10));
  ASSERT_TRUE(wait_frame(box, 10).has_value()) << box.reason();
  EXPECT_EQ(conn.frames_lost(), 0u);
  server.hub().publish(make_encoded_frame(14));  // 11, 12 and 13 never made it
  ASSERT_TRUE(wait_frame(box, 14).has_value()) << box.reason();
  EXPECT_EQ(conn.frames_lost(), 3u);
  EXPECT_EQ(conn.frames_received(), 2u);
  conn.stop();
}

TEST(NativeViewerConnection, StreamEndsWhenTheServerStops) {
  testing::ServerHarness server;
  ASSERT_TRUE(server.start());
  FrameMailbox box;
  Notified notified;
  NativeViewerConnection conn(HostPort{"127.0.0.1", server.port()}, box, notified.fn(),
                              quick_limits());
  conn.start();
  ASSERT_TRUE(server.stats_eventually([](const ServerStats& s) { return s.clients == 1; }));
  server.hub().publish(make_encoded_frame(1));
  ASSERT_TRUE(wait_frame(box, 1).has_value()) << box.reason();
  server.stop_server();
  ASSERT_TRUE(wait_closed(box));
  EXPECT_TRUE(box.closed_with_error());
  EXPECT_NE(box.reason().find("closed the connection"), std::string::npos) << box.reason();
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
      {"other version", bytes_of(proto::encode(proto::ServerHello{2, proto::HelloStatus::kOk, 0})),
       "version 2"},
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
         b[proto::kServerHelloSize] = 9;
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
    FakePeer peer(c.script, /*close_after=*/false);
    FrameMailbox box;
    Notified notified;
    NativeViewerConnection conn(HostPort{"127.0.0.1", peer.port()}, box, notified.fn(),
                                quick_limits());
    conn.start();
    ASSERT_TRUE(wait_closed(box));
    EXPECT_TRUE(box.closed_with_error());
    EXPECT_NE(box.reason().find(c.expect), std::string::npos) << box.reason();
    const auto delivered = box.take();
    if (c.good == 0) {
      EXPECT_FALSE(delivered.has_value()) << "a frame got through";
    } else {
      ASSERT_TRUE(delivered.has_value());
      EXPECT_EQ(delivered->header.seq, c.good);
    }
    EXPECT_TRUE(peer.got_hello()) << "the viewer sent no valid hello";
    conn.stop();
  }
}

TEST(NativeViewerConnection, SilentPeerTimesOut) {
  FakePeer peer(bytes_of(proto::encode(proto::ServerHello{})), /*close_after=*/false);
  FrameMailbox box;
  Notified notified;
  ConnectionLimits limits = quick_limits();
  limits.idle_timeout = 200ms;
  NativeViewerConnection conn(HostPort{"127.0.0.1", peer.port()}, box, notified.fn(), limits);
  conn.start();
  ASSERT_TRUE(wait_closed(box));
  EXPECT_NE(box.reason().find("looks dead"), std::string::npos) << box.reason();
  conn.stop();
}

TEST(NativeViewerConnection, PeerClosingDuringHandshake) {
  FakePeer peer({}, /*close_after=*/true);
  FrameMailbox box;
  Notified notified;
  NativeViewerConnection conn(HostPort{"127.0.0.1", peer.port()}, box, notified.fn(),
                              quick_limits());
  conn.start();
  ASSERT_TRUE(wait_closed(box));
  EXPECT_NE(box.reason().find("handshake"), std::string::npos) << box.reason();
  conn.stop();
}

TEST(NativeViewerConnection, StopWhileStreamingIsClean) {
  testing::ServerHarness server;
  ASSERT_TRUE(server.start());
  FrameMailbox box;
  Notified notified;
  {
    NativeViewerConnection conn(HostPort{"127.0.0.1", server.port()}, box, notified.fn(),
                                quick_limits());
    conn.start();
    ASSERT_TRUE(server.stats_eventually([](const ServerStats& s) { return s.clients == 1; }));
    conn.stop();
    conn.stop();  // idempotent; the destructor stops once more
  }
  EXPECT_FALSE(box.closed_with_error()) << box.reason();
  EXPECT_TRUE(server.stats_eventually([](const ServerStats& s) { return s.clients == 0; }));
}

}  // namespace
}  // namespace camstream
