// pipeline_test.cpp - pattern, encoder pool, hub and server together: order, stop, demand.
#include <cstdint>
#include <future>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "device/capture/demand.hpp"
#include "device/capture/pattern_source.hpp"
#include "device/encode/encoder_pool.hpp"
#include "device/serve/hub.hpp"
#include "shared/protocol.hpp"
#include "tests/unit/helpers.hpp"

namespace camstream {
namespace {

using testing::eventually;
using testing::Heard;
using testing::kTimeout;

// The test pattern, unpaced, feeding a pool of encoders that publish to a hub, which tells
// `heard` what it hands on. The destructor stops it.
struct Chain {
  Chain(int workers, int width, int height, int buffers)
      : pool(workers, 80, hub), source(width, height, 0, buffers) {
    heard.attach(hub);
  }
  ~Chain() { stop(); }
  void start() {
    pool.start();
    source.start(pool);
  }
  void stop() {
    source.stop();
    pool.stop();
  }

  Heard heard;
  Hub hub;
  EncoderPool pool;
  PatternSource source;
};

// The real source, unpaced, feeding a real pool: whatever order the workers finish in, the
// hub hands on each frame at most once and each one newer than the one before.
TEST(Pipeline, RealSourceUnpacedPublishesStrictlyNewerFrames) {
  Chain c(4, 640, 480, 6);
  auto& [heard, hub, pool, source] = c;
  source.set_noise(8);  // uneven encode times make workers finish out of order
  c.start();
  ASSERT_TRUE(eventually([&] { return heard.size() >= 200; }));
  c.stop();

  const auto seqs = heard.seqs();
  for (std::size_t i = 1; i < seqs.size(); ++i)
    ASSERT_LT(seqs[i - 1], seqs[i]) << "at " << i;
  const EncoderStats stats = pool.stats();
  EXPECT_EQ(hub.published(), seqs.size());
  EXPECT_EQ(hub.published() + hub.dropped_late(), stats.encoded);
  EXPECT_EQ(stats.failed, 0u);
  // Every capture was either taken by the pool or dropped; the pool may have discarded a few
  // queued ones at stop.
  const SourceStats captured = source.stats();
  EXPECT_GE(captured.captured, stats.encoded + captured.dropped);
  EXPECT_EQ(stats.queue.count, stats.encoded);
  EXPECT_EQ(stats.encode.count, stats.encoded);
}

// Shutting the whole pipeline down mid-stream at 1080p with grain: everything in flight is
// finished or dropped, stop() returns, and the source can run again.
TEST(Pipeline, StopsWithWorkInFlightAndRestarts) {
  Chain c(3, 1920, 1080, 5);
  auto& [heard, hub, pool, source] = c;
  source.set_noise(6);
  c.start();
  ASSERT_TRUE(eventually([&] { return heard.size() >= 3; }));
  c.stop();  // encoders are busy: that is the point
  const std::size_t after_stop = heard.size();
  EXPECT_EQ(pool.stats().encoded, hub.published() + hub.dropped_late());

  c.start();
  ASSERT_TRUE(eventually([&] { return heard.size() >= after_stop + 3; }));
  c.stop();
  const auto seqs = heard.seqs();
  for (std::size_t i = 1; i < seqs.size(); ++i)
    ASSERT_LT(seqs[i - 1], seqs[i]) << "at " << i;
}

// A chain whose source draws only while the hub's Demand wants frames. The source counts what
// it captured; the pool's own counters tell what it encoded.
struct IdlePipeline : Chain {
  IdlePipeline() : Chain(2, 320, 240, 4) {
    source.set_demand(&hub.demand());
    start();
  }
  // The source is asleep in Demand::acquire() for the `n`th time and every frame it handed
  // the pool has come out: from here nothing moves until someone asks.
  bool settled(std::uint64_t n) {
    return eventually([&] {
      const SourceStats s = source.stats();
      const EncoderStats e = pool.stats();
      return hub.demand().idle_waits() >= n && s.captured == s.dropped + e.encoded + e.failed;
    });
  }
  // Asks for the next frame, as /snapshot does, and waits for it; null if none came in time.
  EncodedFramePtr snapshot() {
    auto answer = std::make_shared<std::promise<EncodedFramePtr>>();
    auto got = answer->get_future();
    const std::uint64_t id =
        hub.request_next([answer](const EncodedFramePtr& f) { answer->set_value(f); });
    if (got.wait_for(kTimeout) == std::future_status::ready) return got.get();
    hub.cancel_next(id);
    return nullptr;
  }
};

TEST(Pipeline, IdleWhileNobodyWatchesAndResumesForAWatcher) {
  IdlePipeline p;
  ASSERT_TRUE(p.settled(1));
  EXPECT_EQ(p.source.stats().captured, 0u) << "drew frames with no one watching";
  EXPECT_EQ(p.pool.stats().encoded, 0u);
  EXPECT_EQ(p.hub.latest(), nullptr);

  {
    const Demand::Watch watch(p.hub.demand());
    EXPECT_EQ(p.hub.demand().watchers(), 1);
    ASSERT_TRUE(eventually([&] { return p.hub.published() >= 10; }));
  }
  EXPECT_EQ(p.hub.demand().watchers(), 0);
  ASSERT_TRUE(p.settled(2));
  const std::uint64_t captured = p.source.stats().captured;
  const std::uint64_t encoded = p.pool.stats().encoded;
  // Asleep again, drawing nothing: the frame a snapshot wakes it for is the very next number
  // (every drawn frame takes one), and the only frame drawn.
  const EncodedFramePtr next = p.snapshot();
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->header.seq, captured) << "drew frames while nobody watched";
  ASSERT_TRUE(p.settled(3));
  EXPECT_EQ(p.source.stats().captured, captured + 1);
  EXPECT_EQ(p.pool.stats().encoded, encoded + 1);
}

TEST(Pipeline, ASnapshotRequestEncodesExactlyOneFrame) {
  IdlePipeline p;
  ASSERT_TRUE(p.settled(1));

  const EncodedFramePtr first = p.snapshot();
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(p.settled(2));
  EXPECT_EQ(p.source.stats().captured, 1u);
  EXPECT_EQ(p.pool.stats().encoded, 1u);
  EXPECT_FALSE(p.hub.demand().request_pending());

  // A second snapshot gets a fresh frame, newer than the first.
  const EncodedFramePtr second = p.snapshot();
  ASSERT_NE(second, nullptr);
  EXPECT_GT(second->header.seq, first->header.seq);
  ASSERT_TRUE(p.settled(3));
  EXPECT_EQ(p.source.stats().captured, 2u);
  EXPECT_EQ(p.pool.stats().encoded, 2u);
}

// Over real TCP: no encoding before a client streams, frames as soon as one does, and idle
// again once it has gone.
TEST(Pipeline, ServerClientsDriveTheDemand) {
  testing::ServerHarness harness;
  ASSERT_TRUE(harness.start());
  Hub& hub = harness.hub();
  EncoderPool pool(2, 80, hub);
  PatternSource source(320, 240, 0, 4);
  source.set_demand(&hub.demand());
  pool.start();
  source.start(pool);
  ASSERT_TRUE(eventually([&] { return hub.demand().idle_waits() >= 1; }));
  EXPECT_EQ(source.stats().captured, 0u);

  {
    testing::LoopbackClient client(harness.port());
    ASSERT_TRUE(client.connected());
    proto::ServerHello reply;
    ASSERT_EQ(client.hello(reply), proto::Error::kNone);
    const auto first = client.read_frame();
    ASSERT_TRUE(first.has_value());
    const auto second = client.read_frame();
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(hub.demand().watchers(), 1);
    client.close();
  }
  // The server notices the close and gives back the watch; the source, which never slept
  // while watched, goes back to sleep a second time.
  ASSERT_TRUE(eventually([&] { return hub.demand().watchers() == 0; }));
  ASSERT_TRUE(eventually([&] { return hub.demand().idle_waits() == 2; }));
  source.stop();
  pool.stop();
  EXPECT_GT(pool.stats().encoded, 0u);
}

}  // namespace
}  // namespace camstream
