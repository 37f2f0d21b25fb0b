// server_test.cpp - the daemon's server and connections over a real loopback TCP socket.
#include "device/serve/server.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <asio.hpp>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "device/serve/hub.hpp"
#include "shared/jpeg.hpp"
#include "shared/protocol.hpp"
#include "shared/seqcode.hpp"
#include "tests/unit/helpers.hpp"

namespace camstream {
namespace {

using namespace std::chrono_literals;
using testing::LoopbackClient;
using testing::make_encoded_frame;

class ServerTest : public ::testing::Test {
 protected:
  // The handshake timeout is long unless a test shortens it, so that it cannot close a
  // connection that a test expects to see closed for another reason.
  static ServerLimits patient() {
    ServerLimits limits;
    limits.handshake_timeout = 1h;
    return limits;
  }

  void start(ServerLimits limits = patient()) {
    ASSERT_TRUE(harness_.start(limits));
    port_ = harness_.port();
  }

  ServerStats stats() { return harness_.stats(); }

  template <typename Pred>
  bool stats_eventually(Pred pred) {
    return harness_.stats_eventually(pred);
  }

  std::unique_ptr<LoopbackClient> handshaken_client() {
    auto client = std::make_unique<LoopbackClient>(port_);
    EXPECT_TRUE(client->connected());
    proto::ServerHello reply;
    EXPECT_EQ(client->hello(reply), proto::Error::kNone);
    EXPECT_EQ(reply.status, proto::HelloStatus::kOk);
    EXPECT_EQ(reply.version, proto::kVersion);
    return client;
  }

  // Reads frames until one with at least `seq` arrives; checks every one on the way.
  void expect_frame_at_least(LoopbackClient& client, std::uint64_t seq) {
    for (;;) {
      const auto m = client.read_frame();
      ASSERT_TRUE(m.has_value()) << "no frame " << seq;
      proto::FrameHeader h;
      ASSERT_EQ(proto::decode_frame_payload(m->payload, h), proto::Error::kNone);
      if (h.seq >= seq) return;
    }
  }

  testing::ServerHarness harness_;
  Hub& hub_ = harness_.hub();
  std::uint16_t port_ = 0;
};

TEST_F(ServerTest, HandshakeThenFrameWithHeaderAndDecodableJpeg) {
  start();
  auto client = handshaken_client();
  ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.clients == 1; }));

  const EncodedFramePtr sent = make_encoded_frame(41, 640, 480);
  hub_.publish(sent);

  const auto m = client->read_message();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->header.type, proto::MessageType::kFrame);
  EXPECT_EQ(m->header.length, proto::kFrameHeaderSize + sent->header.jpeg_size);
  proto::FrameHeader h;
  ASSERT_EQ(proto::decode_frame_payload(m->payload, h), proto::Error::kNone);
  EXPECT_EQ(h.seq, 41u);
  EXPECT_EQ(h.capture_us, sent->header.capture_us);
  EXPECT_EQ(h.width, 640);
  EXPECT_EQ(h.height, 480);
  EXPECT_EQ(h.subsampling, proto::Subsampling::k420);
  ASSERT_EQ(h.jpeg_size, sent->header.jpeg_size);

  const std::span<const std::uint8_t> jpeg(m->payload.data() + proto::kFrameHeaderSize,
                                           h.jpeg_size);
  EXPECT_TRUE(std::equal(jpeg.begin(), jpeg.end(), sent->jpeg().begin()));
  JpegDecoder decoder;
  Yuv420Image image;
  ASSERT_TRUE(decoder.decode(jpeg, image)) << decoder.error();
  EXPECT_EQ(image.width(), 640);
  EXPECT_EQ(image.height(), 480);
  EXPECT_EQ(seqcode::read(image.y(), image.y_stride(), 640, 480), std::optional<std::uint32_t>(41));

  ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.frames_sent == 1; }));
  EXPECT_EQ(stats().accepted, 1u);
  EXPECT_EQ(stats().rejected, 0u);
}

TEST_F(ServerTest, NewClientGetsTheCurrentPictureAtOnce) {
  start();
  hub_.publish(make_encoded_frame(7));
  auto client = handshaken_client();
  const auto m = client->read_frame();
  ASSERT_TRUE(m.has_value());
  proto::FrameHeader h;
  ASSERT_EQ(proto::decode_frame_payload(m->payload, h), proto::Error::kNone);
  EXPECT_EQ(h.seq, 7u);
}

TEST_F(ServerTest, NewClientIsNotGivenAStalePicture) {
  start();
  // Published long ago, while nobody watched: a new client must wait for a fresh one.
  auto old = std::const_pointer_cast<EncodedFrame>(make_encoded_frame(7));
  old->header.capture_us = monotonic_us() - 5'000'000;
  old->prefix = proto::encode_frame_prefix(old->header);
  hub_.publish(old);
  auto client = handshaken_client();
  ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.clients == 1; }));
  hub_.publish(make_encoded_frame(8));
  const auto m = client->read_frame();
  ASSERT_TRUE(m.has_value());
  proto::FrameHeader h;
  ASSERT_EQ(proto::decode_frame_payload(m->payload, h), proto::Error::kNone);
  EXPECT_EQ(h.seq, 8u);
}

TEST_F(ServerTest, FramesArriveInIncreasingOrder) {
  start();
  auto client = handshaken_client();
  ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.clients == 1; }));
  std::vector<EncodedFramePtr> frames;
  for (std::uint64_t seq = 1; seq <= 20; ++seq)
    frames.push_back(make_encoded_frame(seq));
  for (const auto& f : frames)
    hub_.publish(f);

  // A slow reader may skip frames, but never sees one twice or out of order, and always
  // ends with the newest.
  std::uint64_t last = 0;
  while (last < 20) {
    const auto m = client->read_frame();
    ASSERT_TRUE(m.has_value()) << "after seq " << last;
    proto::FrameHeader h;
    ASSERT_EQ(proto::decode_frame_payload(m->payload, h), proto::Error::kNone);
    EXPECT_GT(h.seq, last);
    last = h.seq;
  }
  // Each frame was either sent or replaced by a newer one before it could be.
  EXPECT_TRUE(stats_eventually(
      [](const ServerStats& s) { return s.frames_sent + s.frames_skipped == 20; }));
}

TEST_F(ServerTest, SlowClientSkipsFramesWithoutHoldingUpOthers) {
  start();
  auto slow = handshaken_client();
  auto fast = handshaken_client();
  ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.clients == 2; }));

  // 30 frames of 2 MB, far more than the socket buffers hold. The slow client reads nothing
  // meanwhile; the fast one must still get every frame as it is published.
  constexpr std::uint64_t kFrames = 30;
  for (std::uint64_t seq = 1; seq <= kFrames; ++seq) {
    hub_.publish(testing::make_filler_frame(seq, 2u << 20));
    const auto m = fast->read_frame();
    ASSERT_TRUE(m.has_value()) << "fast client stalled at frame " << seq;
    proto::FrameHeader h;
    ASSERT_EQ(proto::decode_frame_payload(m->payload, h), proto::Error::kNone);
    ASSERT_EQ(h.seq, seq);
    ASSERT_EQ(m->payload.back(), static_cast<std::uint8_t>(seq));
  }

  // Now the slow client catches up: fewer frames, in order, ending with the newest.
  std::uint64_t last = 0;
  std::uint64_t received = 0;
  while (last < kFrames) {
    const auto m = slow->read_frame();
    ASSERT_TRUE(m.has_value()) << "slow client got nothing after " << last;
    proto::FrameHeader h;
    ASSERT_EQ(proto::decode_frame_payload(m->payload, h), proto::Error::kNone);
    EXPECT_GT(h.seq, last);
    last = h.seq;
    ++received;
  }
  EXPECT_LT(received, kFrames);
  EXPECT_GT(stats().frames_skipped, 0u);
}

TEST_F(ServerTest, BadMagicIsClosed) {
  start();
  LoopbackClient client(port_);
  ASSERT_TRUE(client.connected());
  const std::uint8_t junk[] = {'C', 'A', 'M', 'X', 0, 1, 0, 0};
  ASSERT_FALSE(client.write(junk));
  EXPECT_TRUE(client.wait_closed());
  ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.clients == 0; }));
  EXPECT_EQ(stats().rejected, 1u);
}

TEST_F(ServerTest, WrongVersionGetsVersionMismatchThenClose) {
  start();
  LoopbackClient client(port_);
  ASSERT_TRUE(client.connected());
  proto::ServerHello reply;
  EXPECT_EQ(client.hello(reply, proto::kVersion + 1), proto::Error::kUnsupportedVersion);
  EXPECT_EQ(reply.status, proto::HelloStatus::kVersionMismatch);
  EXPECT_EQ(reply.version, proto::kVersion);
  // The daemon ends its side after the answer; the connection is gone once we end ours.
  EXPECT_TRUE(client.wait_closed());
  client.close();
  ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.clients == 0; }));
  EXPECT_EQ(stats().rejected, 1u);
}

TEST_F(ServerTest, HelloWithReservedFlagsIsClosed) {
  start();
  LoopbackClient client(port_);
  ASSERT_TRUE(client.connected());
  ASSERT_FALSE(client.write(proto::encode(proto::ClientHello{proto::kVersion, 1})));
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(ServerTest, HttpOnTheSamePortGetsAnHttpAnswer) {
  start();
  LoopbackClient client(port_);
  ASSERT_TRUE(client.connected());
  const std::string request = "GET /no-such-page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_FALSE(client.write(
      std::span(reinterpret_cast<const std::uint8_t*>(request.data()), request.size())));
  std::array<std::uint8_t, 12> status{};
  ASSERT_FALSE(client.read(status.data(), status.size()));
  const std::string line(status.begin(), status.end());
  EXPECT_EQ(line.substr(0, 7), "HTTP/1.") << line;
  EXPECT_EQ(line.substr(9), "404") << line;
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(ServerTest, PingGetsPongEchoingClientTime) {
  start();
  auto client = handshaken_client();
  const std::uint64_t client_time = 0x0123456789ABCDEFull;
  ASSERT_FALSE(client->write(proto::encode(proto::Ping{client_time})));
  const auto m = client->read_message();
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->header.type, proto::MessageType::kPong);
  proto::Pong pong;
  ASSERT_EQ(proto::decode_pong_payload(m->payload, pong), proto::Error::kNone);
  EXPECT_EQ(pong.client_time_us, client_time);
  EXPECT_GT(pong.server_time_us, 0u);

  // Several pings in one write: each is answered, in order.
  std::vector<std::uint8_t> burst;
  for (std::uint64_t t = 1; t <= 3; ++t) {
    const auto b = proto::encode(proto::Ping{t});
    burst.insert(burst.end(), b.begin(), b.end());
  }
  ASSERT_FALSE(client->write(burst));
  for (std::uint64_t t = 1; t <= 3; ++t) {
    const auto r = client->read_message();
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->header.type, proto::MessageType::kPong);
    ASSERT_EQ(proto::decode_pong_payload(r->payload, pong), proto::Error::kNone);
    EXPECT_EQ(pong.client_time_us, t);
  }
}

TEST_F(ServerTest, GarbageAfterHandshakeClosesOnlyThatClient) {
  start();
  auto bad = handshaken_client();
  auto good = handshaken_client();
  ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.clients == 2; }));
  hub_.publish(make_encoded_frame(1));
  expect_frame_at_least(*bad, 1);
  expect_frame_at_least(*good, 1);

  const std::uint8_t garbage[] = {0xDE, 0xAD, 0xBE, 0xEF, 0xDE, 0xAD, 0xBE, 0xEF};
  ASSERT_FALSE(bad->write(garbage));
  EXPECT_TRUE(bad->wait_closed());
  ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.clients == 1; }));

  for (std::uint64_t seq = 2; seq <= 4; ++seq)
    hub_.publish(make_encoded_frame(seq));
  expect_frame_at_least(*good, 4);
}

TEST_F(ServerTest, MessagesTheDaemonMustNotReceiveCloseTheClient) {
  start();
  // A pong, a frame header, and a ping announcing more than the control bound.
  const std::vector<std::vector<std::uint8_t>> messages = {
      [] {
        const auto b = proto::encode(proto::Pong{1, 2});
        return std::vector<std::uint8_t>(b.begin(), b.end());
      }(),
      [] {
        proto::FrameHeader f;
        f.width = f.height = 16;
        const auto b = proto::encode_frame_prefix(f);
        return std::vector<std::uint8_t>(b.begin(), b.end());
      }(),
      [] {
        const auto b = proto::encode(proto::MessageHeader{proto::MessageType::kPing, 1u << 30});
        return std::vector<std::uint8_t>(b.begin(), b.end());
      }(),
  };
  for (const auto& bytes : messages) {
    auto client = handshaken_client();
    ASSERT_FALSE(client->write(bytes));
    EXPECT_TRUE(client->wait_closed());
  }
}

TEST_F(ServerTest, SilentClientTimesOut) {
  ServerLimits limits;
  limits.handshake_timeout = 100ms;
  start(limits);
  LoopbackClient client(port_);
  ASSERT_TRUE(client.connected());
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(ServerTest, ClientsOverTheLimitAreRefusedOnceTheySayWhatTheyWant) {
  ServerLimits limits = patient();
  limits.max_clients = 1;
  start(limits);
  auto first = handshaken_client();
  ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.handshakes == 0; }));
  // A connection is a handshake, not a client, until its hello: then there is no room.
  LoopbackClient second(port_);
  ASSERT_TRUE(second.connected());
  ASSERT_FALSE(second.write(proto::encode(proto::ClientHello{proto::kVersion, 0})));
  EXPECT_TRUE(second.wait_closed());
  ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.rejected == 1; }));
  EXPECT_EQ(stats().over_client_limit, 1u);
  EXPECT_EQ(stats().accepted, 2u);
  // The first one is unaffected.
  hub_.publish(make_encoded_frame(3));
  expect_frame_at_least(*first, 3);
}

TEST_F(ServerTest, SilentConnectionsCannotKeepAViewerOut) {
  ServerLimits limits = patient();
  limits.max_handshakes = 4;
  limits.handshake_grace = 1ms;
  start(limits);
  // Ten sockets that never speak, one after another: each beyond the fourth drops the oldest
  // once that has had its grace to speak.
  std::vector<std::unique_ptr<LoopbackClient>> silent;
  for (int i = 0; i < 10; ++i) {
    silent.push_back(std::make_unique<LoopbackClient>(port_));
    ASSERT_TRUE(silent.back()->connected());
    const std::uint64_t accepted = static_cast<std::uint64_t>(i) + 1;
    ASSERT_TRUE(stats_eventually([&](const ServerStats& s) { return s.accepted == accepted; }));
  }
  EXPECT_EQ(stats().handshakes, 4u);
  EXPECT_EQ(stats().handshakes_dropped, 6u);
  for (int i = 0; i < 6; ++i)
    EXPECT_TRUE(silent[static_cast<std::size_t>(i)]->wait_closed()) << "silent socket " << i;
  // A viewer still gets in (dropping the oldest silent one) and is served.
  auto viewer = handshaken_client();
  hub_.publish(make_encoded_frame(5));
  expect_frame_at_least(*viewer, 5);
  EXPECT_TRUE(silent[6]->wait_closed());
  const ServerStats s = stats();
  EXPECT_EQ(s.handshakes, 3u);
  EXPECT_EQ(s.handshakes_dropped, 7u);
  EXPECT_EQ(s.clients, 4u);
}

TEST_F(ServerTest, ABurstOfViewersBeyondTheHandshakeBudgetIsLetInInTurn) {
  ServerLimits limits = patient();
  limits.max_handshakes = 4;
  limits.handshake_grace = 1h;  // no handshake is old enough to drop during the test
  start(limits);
  // Ten viewers connect at once and only then send their hellos: the six beyond the budget
  // wait in the listen queue instead of dropping the first four before they could speak.
  std::vector<std::unique_ptr<LoopbackClient>> viewers;
  for (int i = 0; i < 10; ++i) {
    viewers.push_back(std::make_unique<LoopbackClient>(port_));
    ASSERT_TRUE(viewers.back()->connected());
  }
  ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.handshakes == 4; }));
  for (auto& v : viewers) {
    proto::ServerHello reply;
    ASSERT_EQ(v->hello(reply), proto::Error::kNone);
  }
  hub_.publish(make_encoded_frame(9));
  for (auto& v : viewers)
    expect_frame_at_least(*v, 9);
  EXPECT_EQ(stats().handshakes_dropped, 0u);
  EXPECT_EQ(stats().clients, 10u);
}

TEST_F(ServerTest, OneAddressCannotHoldMoreThanItsLimit) {
  ServerLimits limits = patient();
  limits.max_per_address = 2;
  start(limits);
  LoopbackClient a(port_, "127.0.0.2");
  LoopbackClient b(port_, "127.0.0.2");
  ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.accepted == 2; }));
  LoopbackClient c(port_, "127.0.0.2");
  ASSERT_TRUE(c.connected());
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(stats().over_address_limit, 1u);
  // Another address is not held back by the first one's share.
  auto viewer = handshaken_client();
  hub_.publish(make_encoded_frame(2));
  expect_frame_at_least(*viewer, 2);
  // A connection closed gives its address its place back.
  a.close();
  ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.clients == 2; }));
  LoopbackClient d(port_, "127.0.0.2");
  ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.accepted == 4; }));
  EXPECT_EQ(stats().over_address_limit, 1u);
}

TEST_F(ServerTest, AClientThatStopsReadingIsCutAndItsUnsentFramesLetGo) {
  ServerLimits limits = patient();
  limits.write_timeout = 300ms;
  start(limits);
  auto stuck = handshaken_client();
  auto fine = handshaken_client();
  ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.handshakes == 0; }));
  // 1 MB frames until the one that never reads has been cut; the other reads each one.
  std::uint64_t seq = 0;
  while (stats().stalled == 0) {
    ASSERT_LT(seq, 1000u) << "a client that reads nothing was never cut";
    hub_.publish(testing::make_filler_frame(++seq, 1u << 20));
    expect_frame_at_least(*fine, seq);
  }
  ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.clients == 1; }));
  // Closed with a reset: what it had not taken was thrown away, not sent after a FIN.
  EXPECT_EQ(stuck->wait_end(), asio::error::connection_reset);
  hub_.publish(testing::make_filler_frame(++seq, 1u << 20));
  expect_frame_at_least(*fine, seq);
}

// Lowers this process's soft limit on open files so that exactly `spare` descriptors are
// left, and puts everything back when it goes. The limit bounds descriptor numbers, not their
// count, so the holes below the highest open one are filled first. Each test runs in a process
// of its own (gtest_discover_tests), so nothing else sees the lower limit.
class OpenFileLimit {
 public:
  explicit OpenFileLimit(int spare) {
    getrlimit(RLIMIT_NOFILE, &old_);
    int highest = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
      highest = std::max(highest, std::stoi(entry.path().filename().string()));
    rlimit lower = old_;
    lower.rlim_cur = static_cast<rlim_t>(highest + 1 + spare);
    if (setrlimit(RLIMIT_NOFILE, &lower) != 0) return;
    for (;;) {
      const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) break;
      if (fd > highest) {
        ::close(fd);
        break;
      }
      fillers_.push_back(fd);
    }
    set_ = true;
  }
  ~OpenFileLimit() {
    for (const int fd : fillers_)
      ::close(fd);
    setrlimit(RLIMIT_NOFILE, &old_);
  }
  OpenFileLimit(const OpenFileLimit&) = delete;
  OpenFileLimit& operator=(const OpenFileLimit&) = delete;
  bool set() const { return set_; }

 private:
  rlimit old_{};
  std::vector<int> fillers_;
  bool set_ = false;
};

// A blocking client of one descriptor: a LoopbackClient's own event loop takes three more,
// which a test at the open-file limit cannot spare.
class OneFdClient {
 public:
  explicit OneFdClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0;
  }
  ~OneFdClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  OneFdClient(const OneFdClient&) = delete;
  OneFdClient& operator=(const OneFdClient&) = delete;
  bool connected() const { return connected_; }
  // True once the server ended the connection (end of stream or reset) within kTimeout.
  bool closed_by_server() const {
    const timeval wait{static_cast<time_t>(testing::kTimeout.count() / 1000), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    char sink[256];
    const ssize_t n = ::recv(fd_, sink, sizeof sink, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  int fd_;
  bool connected_ = false;
};

TEST_F(ServerTest, OutOfDescriptorsTheServerShedsPausesAndServesAgain) {
  start();
  auto viewer = handshaken_client();
  ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.handshakes == 0; }));
  ASSERT_TRUE(harness_.on_loop([this] { return harness_.server().holds_spare_fd(); }));
  // A frame through the whole path before descriptors run out, and the next one made now:
  // UndefinedBehaviorSanitizer checks a virtual call's type the first time it meets it by
  // probing memory through a pipe(), which fails without a descriptor and then reports a
  // false "invalid vptr". Warm, the path needs no descriptor of its own.
  hub_.publish(make_encoded_frame(0));
  expect_frame_at_least(*viewer, 0);
  const EncodedFramePtr during = make_encoded_frame(1);
  {
    // One descriptor left: the late client's socket takes it, so the server's accept() fails.
    OpenFileLimit limit(1);
    ASSERT_TRUE(limit.set());
    OneFdClient late(port_);
    ASSERT_TRUE(late.connected());
    // The reserve descriptor took it off the queue and closed it: a reset, not a hang.
    EXPECT_TRUE(late.closed_by_server());
    ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.shed == 1; }));
    // The viewer it already had goes on.
    hub_.publish(during);
    expect_frame_at_least(*viewer, 1);
  }
  // Descriptors to spare again: the next client is served.
  auto next = handshaken_client();
  hub_.publish(make_encoded_frame(2));
  expect_frame_at_least(*next, 2);
  // One failure, one pause: a loop that retried at once would have failed thousands of times
  // by now.
  EXPECT_EQ(stats().accept_failures, 1u);
  EXPECT_EQ(stats().rejected, 1u);
}

TEST_F(ServerTest, StopClosesEveryClient) {
  start();
  auto a = handshaken_client();
  auto b = handshaken_client();
  ASSERT_TRUE(stats_eventually([](const ServerStats& s) { return s.clients == 2; }));
  harness_.stop_server();
  EXPECT_TRUE(a->wait_closed());
  EXPECT_TRUE(b->wait_closed());
  EXPECT_EQ(stats().clients, 0u);
}

TEST(ServerListen, PortInUseSaysWhatToDo) {
  asio::io_context io;
  Hub hub;
  Server first(io, hub);
  std::string error;
  ASSERT_TRUE(first.listen(HostPort{"127.0.0.1", 0}, error)) << error;
  Server second(io, hub);
  EXPECT_FALSE(second.listen(HostPort{"127.0.0.1", first.local_address().port}, error));
  EXPECT_NE(error.find("already in use"), std::string::npos) << error;
  EXPECT_FALSE(second.listen(HostPort{"not-an-ip", 0}, error));
  EXPECT_NE(error.find("not an IP address"), std::string::npos) << error;
}

}  // namespace
}  // namespace camstream
