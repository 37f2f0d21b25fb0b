// feed_test.cpp - one camera across connections: live, stalled, reconnecting, given up.
#include "viewer/feed.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "shared/clock.hpp"
#include "shared/protocol.hpp"
#include "tests/unit/helpers.hpp"
#include "tests/unit/viewer_helpers.hpp"
#include "viewer/net/native_connection.hpp"

namespace camstream {
namespace {

using testing::eventually;
using testing::ScriptedPeer;

// A native frame message with the test pattern's JPEG.
std::string frame_message(std::uint64_t seq) {
  const auto f = testing::make_encoded_frame(seq);
  std::string out(f->prefix.begin(), f->prefix.end());
  return out.append(f->jpeg().begin(), f->jpeg().end());
}

std::string ok_hello() {
  const auto b = proto::encode(proto::ServerHello{});
  return {b.begin(), b.end()};
}

// Each attempt connects to the next scripted peer, as a daemon that restarts would answer on
// one port; `attempts` counts them.
struct Rig {
  std::vector<std::unique_ptr<ScriptedPeer>> peers;
  int attempts = 0;
  std::unique_ptr<Feed> feed;

  explicit Rig(int n, ReconnectSettings settings = {}) {
    for (int i = 0; i < n; ++i)
      peers.push_back(std::make_unique<ScriptedPeer>(ScriptedPeer::native_hello()));
    feed = std::make_unique<Feed>(
        "cam",
        [this](FrameMailbox& box) {
          const auto port = peers.at(std::min<std::size_t>(attempts++, peers.size() - 1))->port();
          return std::make_unique<NativeViewerConnection>(
              HostPort{"127.0.0.1", port}, box, [] {}, testing::quick_limits());
        },
        settings);
  }
  ~Rig() { feed->stop(); }

  // Polls with the real clock until a frame comes; its seq, or 0 when the feed gave up.
  std::uint64_t next_seq() {
    std::uint64_t seq = 0;
    eventually([&] {
      auto f = feed->poll(monotonic_us());
      if (f) seq = f->header.seq;
      return f.has_value() || feed->state() == FeedState::kEnded;
    });
    return seq;
  }
  // Polls until the state is `s`.
  bool reaches(FeedState s) {
    return eventually([&] {
      feed->poll(monotonic_us());
      return feed->state() == s;
    });
  }
};

TEST(Feed, ReconnectsAfterTheStreamEndsAndCountsOnAcrossConnections) {
  Rig r(2);
  r.peers[0]->send(ok_hello() + frame_message(41));
  r.peers[0]->hang_up();
  r.peers[1]->send(ok_hello() + frame_message(1));  // a restarted daemon counts from the start
  r.feed->start(monotonic_us());
  EXPECT_EQ(r.feed->state(), FeedState::kConnecting);
  EXPECT_EQ(r.next_seq(), 41u);
  EXPECT_EQ(r.feed->state(), FeedState::kLive);
  const std::uint64_t first_bytes = r.feed->bytes_received();
  EXPECT_EQ(r.next_seq(), 1u) << r.feed->reason();
  EXPECT_EQ(r.feed->state(), FeedState::kLive);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(r.feed->reconnects(), 1u);
  EXPECT_NE(r.feed->reason().find("closed the connection"), std::string::npos) << r.feed->reason();
  EXPECT_GT(r.feed->bytes_received(), first_bytes) << "the bytes of both connections add up";
  EXPECT_FALSE(r.feed->failed());
}

TEST(Feed, WaitsTheBackoffBeforeTheNextAttempt) {
  Rig r(2, ReconnectSettings{true, std::chrono::milliseconds(300), std::chrono::seconds(1)});
  r.peers[0]->hang_up();
  r.feed->start(monotonic_us());
  ASSERT_TRUE(r.reaches(FeedState::kReconnecting));
  // Polled with a clock that stands still, the feed must not try again before 300 ms.
  const std::uint64_t ended = monotonic_us();
  for (int i = 0; i < 20; ++i)
    r.feed->poll(ended + 200'000);
  EXPECT_EQ(r.attempts, 1);
  r.feed->poll(ended + 400'000);
  EXPECT_EQ(r.attempts, 2);
}

TEST(Feed, NoFrameForASecondIsStalled) {
  Rig r(1);
  r.peers[0]->send(ok_hello() + frame_message(3));  // then silence, the connection still open
  r.feed->start(monotonic_us());
  ASSERT_EQ(r.next_seq(), 3u);
  const std::uint64_t now = monotonic_us();
  r.feed->poll(now + kStallAfterUs / 2);
  EXPECT_EQ(r.feed->state(), FeedState::kLive);
  r.feed->poll(now + kStallAfterUs + 100'000);
  EXPECT_EQ(r.feed->state(), FeedState::kStalled);
}

// A daemon that refuses the token refuses it on every attempt: say so and stop.
TEST(Feed, GivesUpOnAPermanentError) {
  Rig r(2);
  proto::ServerHello hello;
  hello.status = proto::HelloStatus::kAuthRequired;
  const auto b = proto::encode(hello);
  r.peers[0]->send(std::string(b.begin(), b.end()));  // no token given: "needs a token"
  r.feed->start(monotonic_us());
  EXPECT_EQ(r.next_seq(), 0u);
  EXPECT_EQ(r.feed->state(), FeedState::kEnded);
  EXPECT_TRUE(r.feed->failed());
  EXPECT_NE(r.feed->reason().find("needs a token"), std::string::npos) << r.feed->reason();
  for (int i = 0; i < 10; ++i)
    r.feed->poll(monotonic_us() + 10'000'000);
  EXPECT_EQ(r.attempts, 1) << "it tried again after a permanent error";
}

TEST(Feed, WithoutReconnectingTheFirstEndIsFinal) {
  ReconnectSettings off;
  off.enabled = false;
  Rig r(2, off);
  r.peers[0]->send(ok_hello() + frame_message(7));
  r.peers[0]->hang_up();
  r.feed->start(monotonic_us());
  EXPECT_EQ(r.next_seq(), 7u);
  ASSERT_TRUE(r.reaches(FeedState::kEnded));
  EXPECT_TRUE(r.feed->failed());
  EXPECT_EQ(r.attempts, 1);
}

}  // namespace
}  // namespace camstream
