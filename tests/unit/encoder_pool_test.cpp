// encoder_pool_test.cpp - the worker pool, functionally: ordering, refusal, stop, buffer release.
#include "device/encode/encoder_pool.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "device/capture/demand.hpp"
#include "device/capture/test_pattern.hpp"
#include "device/encode/stage_times.hpp"
#include "device/serve/hub.hpp"
#include "helpers.hpp"
#include "shared/jpeg.hpp"
#include "shared/seqcode.hpp"

namespace camstream {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
constexpr auto kTimeout = 30s;

// Pictures the fake source hands out. They are never written while frames point at them.
class Pictures {
 public:
  Pictures(int width, int height, int count) {
    for (int i = 0; i < count; ++i) {
      images_.push_back(std::make_unique<Yuv420Image>(width, height));
      TestPattern::render(*images_.back(), static_cast<std::uint64_t>(i));
    }
  }

  // Frame `seq` shows picture seq % count (whose seqcode is that index). The deleter counts
  // releases, as a camera counts buffers handed back.
  RawFramePtr frame(std::uint64_t seq) {
    created_.fetch_add(1);
    auto* raw = new RawFrame{seq, 1000 + seq, images_[seq % images_.size()]->view()};
    return RawFramePtr(raw, [this](const RawFrame* f) {
      delete f;
      released_.fetch_add(1);
    });
  }

  std::size_t count() const { return images_.size(); }
  std::uint64_t created() const { return created_.load(); }
  std::uint64_t released() const { return released_.load(); }

 private:
  std::vector<std::unique_ptr<Yuv420Image>> images_;
  std::atomic<std::uint64_t> created_{0};
  std::atomic<std::uint64_t> released_{0};
};

// Records every published frame and forwards it to a hub. With `gate` closed, publish() blocks
// until it opens, which keeps the calling worker busy.
class RecordingSink final : public EncodedSink {
 public:
  explicit RecordingSink(Hub* hub = nullptr, bool gate_open = true) : hub_(hub), open_(gate_open) {}

  void publish(EncodedFramePtr frame) override {
    std::unique_lock lock(mutex_);
    frames_.push_back(frame);
    ++entered_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
    lock.unlock();
    if (hub_ != nullptr) hub_->publish(std::move(frame));
  }

  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

  // Waits until `count` publish() calls have begun.
  bool wait_entered(std::size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kTimeout, [&] { return entered_ >= count; });
  }

  std::vector<EncodedFramePtr> frames() {
    std::lock_guard lock(mutex_);
    return frames_;
  }

 private:
  Hub* hub_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_;
  std::size_t entered_ = 0;
  std::vector<EncodedFramePtr> frames_;
};

TEST(EncoderPool, PublishesNewerFramesOnceEachWithTheirOwnPixels) {
  Pictures pictures(320, 240, 7);
  Hub hub;
  std::mutex mutex;
  std::vector<std::uint64_t> heard;
  hub.set_listener([&](const EncodedFramePtr& f) {
    std::lock_guard lock(mutex);
    heard.push_back(f->header.seq);
  });
  RecordingSink sink(&hub);
  EncoderPool pool(3, 80, sink);
  EXPECT_EQ(pool.workers(), 3);
  pool.start();

  // The capture loop: offer every frame at once, as a source does; count what is taken.
  constexpr std::uint64_t kWanted = 60;
  std::set<std::uint64_t> accepted;
  std::uint64_t refused = 0;
  for (std::uint64_t seq = 0; accepted.size() < kWanted; ++seq) {
    ASSERT_LT(seq, 1000000u) << "the pool stopped taking frames";
    if (pool.offer(pictures.frame(seq))) {
      accepted.insert(seq);
    } else {
      ++refused;
      std::this_thread::yield();
    }
  }
  ASSERT_TRUE(eventually([&] { return pool.stats().encoded + pool.stats().failed == kWanted; }));
  pool.stop();

  const EncoderStats stats = pool.stats();
  EXPECT_EQ(stats.encoded, kWanted);
  EXPECT_EQ(stats.failed, 0u);
  EXPECT_EQ(stats.refused, refused);

  // Every accepted frame came out exactly once, with its own header and pixels.
  const auto frames = sink.frames();
  ASSERT_EQ(frames.size(), kWanted);
  std::set<std::uint64_t> published;
  JpegDecoder decoder;
  Yuv420Image decoded;
  for (const auto& f : frames) {
    EXPECT_TRUE(published.insert(f->header.seq).second) << "seq " << f->header.seq << " twice";
    EXPECT_EQ(f->header.capture_us, 1000 + f->header.seq);
    EXPECT_EQ(f->header.width, 320);
    EXPECT_EQ(f->header.height, 240);
    EXPECT_EQ(f->header.subsampling, proto::Subsampling::k420);
    ASSERT_GT(f->header.jpeg_size, 0u);
    EXPECT_EQ(f->prefix, proto::encode_frame_prefix(f->header));
    ASSERT_TRUE(decoder.decode(f->jpeg(), decoded)) << decoder.error();
    EXPECT_EQ(seqcode::read(decoded.y(), decoded.y_stride(), 320, 240),
              std::optional<std::uint32_t>(f->header.seq % pictures.count()));
  }
  EXPECT_EQ(published, accepted);

  // Through the hub, whatever order the workers finished in, seqs only go up.
  std::lock_guard lock(mutex);
  ASSERT_FALSE(heard.empty());
  for (std::size_t i = 1; i < heard.size(); ++i)
    EXPECT_LT(heard[i - 1], heard[i]);
  EXPECT_EQ(hub.published(), heard.size());
  EXPECT_EQ(hub.published() + hub.dropped_late(), kWanted);
  EXPECT_EQ(hub.latest()->header.seq, *accepted.rbegin());

  // Every raw frame went back to its source.
  EXPECT_EQ(pictures.released(), pictures.created());
}

TEST(EncoderPool, RefusesWhenEveryWorkerIsBusy) {
  Pictures pictures(320, 240, 2);
  RecordingSink sink(nullptr, /*gate_open=*/false);
  EncoderPool pool(2, 80, sink);
  EXPECT_FALSE(pool.offer(pictures.frame(0))) << "took a frame before start()";
  pool.start();

  EXPECT_TRUE(pool.offer(pictures.frame(1)));
  EXPECT_TRUE(pool.offer(pictures.frame(2)));
  // Two workers, two frames taken: a third has nowhere to go, queued or not.
  EXPECT_FALSE(pool.offer(pictures.frame(3)));
  ASSERT_TRUE(sink.wait_entered(2));
  EXPECT_FALSE(pool.offer(pictures.frame(4)));
  EXPECT_FALSE(pool.offer(pictures.frame(5)));
  EXPECT_EQ(pool.stats().refused, 4u);
  // Refused frames went straight back to the source.
  EXPECT_EQ(pictures.released(), 6u);

  sink.open();
  // Once a worker is free again the pool takes frames again.
  std::uint64_t seq = 6;
  std::uint64_t refused_now = 0;
  ASSERT_TRUE(eventually([&] {
    const bool taken = pool.offer(pictures.frame(seq++));
    if (!taken) ++refused_now;
    return taken;
  }));
  ASSERT_TRUE(sink.wait_entered(3));
  pool.stop();
  EXPECT_EQ(pool.stats().refused, 4u + refused_now);
  EXPECT_EQ(pool.stats().encoded, 3u);
  EXPECT_FALSE(pool.offer(pictures.frame(seq))) << "took a frame after stop()";
  EXPECT_EQ(pictures.released(), pictures.created());
}

TEST(EncoderPool, RawFrameReleasedBeforePublishing) {
  Pictures pictures(640, 480, 1);
  RecordingSink sink(nullptr, /*gate_open=*/false);
  EncoderPool pool(1, 80, sink);
  pool.start();
  ASSERT_TRUE(pool.offer(pictures.frame(0)));
  ASSERT_TRUE(sink.wait_entered(1));
  // The worker is still inside publish(), yet the capture buffer is already back.
  EXPECT_EQ(pictures.created(), 1u);
  EXPECT_EQ(pictures.released(), 1u);
  sink.open();
  pool.stop();
  const auto frames = sink.frames();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0]->header.seq, 0u);
}

TEST(EncoderPool, StopWithWorkInFlightReturnsAndReleasesEverything) {
  Pictures pictures(1920, 1080, 3);
  RecordingSink sink;
  {
    EncoderPool pool(4, 80, sink);
    pool.start();
    std::uint64_t accepted = 0;
    for (std::uint64_t seq = 0; seq < 200 && accepted < 8; ++seq) {
      if (pool.offer(pictures.frame(seq))) ++accepted;
    }
    EXPECT_GT(accepted, 0u);
    pool.stop();  // frames are still being encoded or sit in the queue
    const EncoderStats stats = pool.stats();
    EXPECT_LE(stats.encoded + stats.failed, accepted);
    EXPECT_EQ(sink.frames().size(), stats.encoded);
    EXPECT_EQ(pictures.released(), pictures.created());
    pool.stop();  // a second stop is harmless
  }               // and so is the destructor's
  EXPECT_EQ(pictures.released(), pictures.created());
}

TEST(EncoderPool, StopWhileAWorkerIsBlockedInPublish) {
  Pictures pictures(320, 240, 1);
  RecordingSink sink(nullptr, /*gate_open=*/false);
  EncoderPool pool(2, 80, sink);
  pool.start();
  ASSERT_TRUE(pool.offer(pictures.frame(0)));
  ASSERT_TRUE(sink.wait_entered(1));
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    pool.stop();
    stopped = true;
  });
  sink.open();  // stop() joins the worker once its frame is handed over
  stopper.join();
  EXPECT_TRUE(stopped);
  EXPECT_EQ(pool.stats().encoded, 1u);
  EXPECT_EQ(pictures.released(), pictures.created());
}

TEST(EncoderPool, RestartsAfterStop) {
  Pictures pictures(320, 240, 1);
  RecordingSink sink;
  EncoderPool pool(2, 80, sink);
  pool.start();
  ASSERT_TRUE(eventually([&] { return pool.offer(pictures.frame(0)); }));
  ASSERT_TRUE(sink.wait_entered(1));
  pool.stop();
  pool.start();
  ASSERT_TRUE(eventually([&] { return pool.offer(pictures.frame(1)); }));
  ASSERT_TRUE(sink.wait_entered(2));
  pool.stop();
  EXPECT_EQ(pool.stats().encoded, 2u);
}

// An unpaced source hands frames over with offer_wait(): one may wait behind busy workers,
// the next waits in the call, and none is refused.
TEST(EncoderPool, OfferWaitKeepsOneFrameReadyBehindBusyWorkers) {
  Pictures pictures(320, 240, 1);
  RecordingSink sink(nullptr, /*gate_open=*/false);
  EncoderPool pool(1, 80, sink);
  pool.start();
  std::stop_source stop;
  EXPECT_TRUE(pool.offer_wait(pictures.frame(0), stop.get_token())) << "a worker is idle";
  ASSERT_TRUE(sink.wait_entered(1));  // the only worker is now held inside publish()
  EXPECT_TRUE(pool.offer_wait(pictures.frame(1), stop.get_token())) << "no frame waiting yet";
  EXPECT_FALSE(pool.offer(pictures.frame(2))) << "offer() still refuses when all are busy";

  std::atomic<int> result{-1};
  std::thread waiter(
      [&] { result = pool.offer_wait(pictures.frame(3), stop.get_token()) ? 1 : 0; });
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(result.load(), -1) << "took a second frame while one already waited";
  sink.open();  // frame 0 is published, the worker takes frame 1, frame 3 gets its place
  waiter.join();
  EXPECT_EQ(result.load(), 1);
  ASSERT_TRUE(sink.wait_entered(3));
  pool.stop();
  const auto frames = sink.frames();
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0]->header.seq, 0u);
  EXPECT_EQ(frames[1]->header.seq, 1u);
  EXPECT_EQ(frames[2]->header.seq, 3u);
  EXPECT_EQ(pool.stats().refused, 1u);
  EXPECT_EQ(pictures.released(), pictures.created());
}

// A stop request, or the pool stopping, ends a wait for room that never comes.
TEST(EncoderPool, OfferWaitEndsOnStop) {
  Pictures pictures(320, 240, 1);
  RecordingSink sink(nullptr, /*gate_open=*/false);
  EncoderPool pool(1, 80, sink);
  pool.start();
  std::stop_source stop;
  ASSERT_TRUE(pool.offer_wait(pictures.frame(0), stop.get_token()));
  ASSERT_TRUE(sink.wait_entered(1));
  ASSERT_TRUE(pool.offer_wait(pictures.frame(1), stop.get_token()));

  std::atomic<int> result{-1};
  std::thread waiter(
      [&] { result = pool.offer_wait(pictures.frame(2), stop.get_token()) ? 1 : 0; });
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(result.load(), -1);
  stop.request_stop();
  waiter.join();
  EXPECT_EQ(result.load(), 0);

  result = -1;
  std::stop_source other;
  std::thread stopped_by_pool(
      [&] { result = pool.offer_wait(pictures.frame(3), other.get_token()) ? 1 : 0; });
  std::this_thread::sleep_for(20ms);
  std::thread stopper([&] { pool.stop(); });  // joins the worker once the gate opens
  ASSERT_TRUE(eventually([&] { return result.load() == 0; })) << "still waiting after stop()";
  sink.open();
  stopper.join();
  stopped_by_pool.join();
  EXPECT_EQ(pictures.released(), pictures.created());
}

// Records the sequence numbers a hub hands on, as the server would receive them.
class Heard {
 public:
  void attach(Hub& hub) {
    hub.set_listener([this](const EncodedFramePtr& f) {
      std::lock_guard lock(mutex_);
      seqs_.push_back(f->header.seq);
    });
  }
  std::vector<std::uint64_t> seqs() const {
    std::lock_guard lock(mutex_);
    return seqs_;
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return seqs_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::uint64_t> seqs_;
};

// The real source, unpaced, feeding a real pool: whatever order the workers finish in, the
// hub hands on each frame at most once and each one newer than the one before.
TEST(EncoderPool, RealSourceUnpacedPublishesStrictlyNewerFrames) {
  Hub hub;
  Heard heard;
  heard.attach(hub);
  EncoderPool pool(4, 80, hub);
  TestPattern source(640, 480, 0, 6);
  source.set_noise(8);  // uneven encode times make workers finish out of order
  pool.start();
  source.start(pool);
  ASSERT_TRUE(eventually([&] { return heard.size() >= 200; }));
  source.stop();
  pool.stop();

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
TEST(EncoderPool, PipelineStopsWithWorkInFlightAndRestarts) {
  Hub hub;
  Heard heard;
  heard.attach(hub);
  EncoderPool pool(3, 80, hub);
  TestPattern source(1920, 1080, 0, 5);
  source.set_noise(6);
  pool.start();
  source.start(pool);
  ASSERT_TRUE(eventually([&] { return heard.size() >= 3; }));
  source.stop();
  pool.stop();  // encoders are busy: that is the point
  const std::size_t after_stop = heard.size();
  EXPECT_EQ(pool.stats().encoded, hub.published() + hub.dropped_late());

  pool.start();
  source.start(pool);
  ASSERT_TRUE(eventually([&] { return heard.size() >= after_stop + 3; }));
  source.stop();
  pool.stop();
  const auto seqs = heard.seqs();
  for (std::size_t i = 1; i < seqs.size(); ++i)
    ASSERT_LT(seqs[i - 1], seqs[i]) << "at " << i;
}

// Grain makes the JPEG several times larger, changes from frame to frame, and leaves the
// seqcode readable, so --check-pattern still works on a noisy stream.
TEST(EncoderPool, NoisyPatternIsLargerAndKeepsItsCode) {
  Yuv420Image clean(1280, 720), noisy(1280, 720), noisy_next(1280, 720);
  TestPattern::render(clean, 5);
  TestPattern::render(noisy, 5);
  TestPattern::render(noisy_next, 6);
  const PatternNoise noise(11);
  const int code_top = seqcode::layout_for(1280, 720).y0;
  noise.apply(noisy, 5, code_top);
  noise.apply(noisy_next, 6, code_top);

  JpegEncoder encoder;
  const std::size_t capacity = JpegEncoder::max_size(1280, 720);
  std::vector<std::uint8_t> out(capacity);
  const std::size_t clean_size = encoder.compress(clean.view(), 80, out.data(), capacity);
  const std::size_t noisy_size = encoder.compress(noisy.view(), 80, out.data(), capacity);
  ASSERT_GT(clean_size, 0u) << encoder.error();
  ASSERT_GT(noisy_size, 0u) << encoder.error();
  EXPECT_GT(noisy_size, 4 * clean_size) << clean_size << " vs " << noisy_size;

  JpegDecoder decoder;
  Yuv420Image decoded;
  ASSERT_TRUE(decoder.decode(std::span(out.data(), noisy_size), decoded)) << decoder.error();
  EXPECT_EQ(seqcode::read(decoded.y(), decoded.y_stride(), 1280, 720),
            std::optional<std::uint32_t>(5));
  // The grain itself differs between frames (same picture apart from the square).
  int differing_rows = 0;
  for (int row = 0; row < TestPattern::bars_height(720); ++row) {
    if (std::memcmp(noisy.y() + row * noisy.y_stride(), noisy_next.y() + row * noisy.y_stride(),
                    1280) != 0)
      ++differing_rows;
  }
  EXPECT_EQ(differing_rows, TestPattern::bars_height(720));
}

// Counts what the source captured; the pool's own counters tell what it encoded.
struct IdlePipeline {
  Hub hub;
  EncoderPool pool{2, 80, hub};
  TestPattern source{320, 240, 0, 4};

  IdlePipeline() {
    source.set_demand(&hub.demand());
    pool.start();
    source.start(pool);
  }
  ~IdlePipeline() {
    source.stop();
    pool.stop();
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
};

TEST(EncoderPool, IdleWhileNobodyWatchesAndResumesForAWatcher) {
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
  // Asleep again: another look finds the same counts however long it takes to get here.
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(p.source.stats().captured, captured);
  EXPECT_EQ(p.pool.stats().encoded, encoded);
}

TEST(EncoderPool, ASnapshotRequestEncodesExactlyOneFrame) {
  IdlePipeline p;
  ASSERT_TRUE(p.settled(1));

  std::mutex mutex;
  std::condition_variable answered;
  std::vector<EncodedFramePtr> got;
  const auto wait_for_answer = [&](std::size_t n) {
    std::unique_lock lock(mutex);
    return answered.wait_for(lock, kTimeout, [&] { return got.size() >= n; });
  };
  const auto ask = [&] {
    return p.hub.request_next([&](const EncodedFramePtr& f) {
      std::lock_guard lock(mutex);
      got.push_back(f);
      answered.notify_all();
    });
  };

  ask();
  ASSERT_TRUE(wait_for_answer(1));
  ASSERT_NE(got[0], nullptr);
  ASSERT_TRUE(p.settled(2));
  EXPECT_EQ(p.source.stats().captured, 1u);
  EXPECT_EQ(p.pool.stats().encoded, 1u);
  EXPECT_FALSE(p.hub.demand().request_pending());

  // A second snapshot gets a fresh frame, newer than the first.
  ask();
  ASSERT_TRUE(wait_for_answer(2));
  ASSERT_NE(got[1], nullptr);
  EXPECT_GT(got[1]->header.seq, got[0]->header.seq);
  ASSERT_TRUE(p.settled(3));
  EXPECT_EQ(p.source.stats().captured, 2u);
  EXPECT_EQ(p.pool.stats().encoded, 2u);
}

// Over real TCP: no encoding before a client streams, frames as soon as one does, and idle
// again once it has gone.
TEST(EncoderPool, ServerClientsDriveTheDemand) {
  testing::ServerHarness harness;
  ASSERT_TRUE(harness.start());
  Hub& hub = harness.hub();
  EncoderPool pool(2, 80, hub);
  TestPattern source(320, 240, 0, 4);
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

TEST(Demand, WatchCountsAndMoves) {
  Demand d;
  EXPECT_FALSE(d.try_acquire());
  Demand::Watch a(d);
  EXPECT_TRUE(a.active());
  EXPECT_EQ(d.watchers(), 1);
  Demand::Watch b = std::move(a);
  EXPECT_FALSE(a.active());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(d.watchers(), 1);
  EXPECT_TRUE(d.try_acquire());
  EXPECT_TRUE(d.try_acquire());  // a watcher wants every frame
  b.reset();
  b.reset();
  EXPECT_EQ(d.watchers(), 0);
  EXPECT_FALSE(d.try_acquire());
}

TEST(Demand, RequestIsTakenOnceAndCanBeGivenBack) {
  Demand d;
  d.request_frame();
  d.request_frame();  // two at once are served by one frame
  EXPECT_TRUE(d.request_pending());
  EXPECT_TRUE(d.try_acquire());
  EXPECT_FALSE(d.request_pending());
  EXPECT_FALSE(d.try_acquire());
  d.release_request();  // the frame could not be used
  EXPECT_TRUE(d.try_acquire());
  EXPECT_FALSE(d.try_acquire());
}

TEST(Demand, AcquireSleepsUntilWantedOrStopped) {
  Demand d;
  std::stop_source stop;
  std::atomic<int> result{-1};
  std::thread waiter([&] { result = d.acquire(stop.get_token()) ? 1 : 0; });
  ASSERT_TRUE(eventually([&] { return d.idle_waits() == 1; }));
  EXPECT_EQ(result.load(), -1);
  d.request_frame();
  waiter.join();
  EXPECT_EQ(result.load(), 1);
  EXPECT_FALSE(d.request_pending());

  std::thread stopped([&] { result = d.acquire(stop.get_token()) ? 1 : 0; });
  ASSERT_TRUE(eventually([&] { return d.idle_waits() == 2; }));
  stop.request_stop();
  stopped.join();
  EXPECT_EQ(result.load(), 0);
}

TEST(StageTimes, BucketsCoverEveryDurationInOrder) {
  for (std::uint64_t us : {0ull, 1ull, 7ull, 8ull, 9ull, 15ull, 16ull, 17ull, 1000ull, 33333ull,
                           1'000'000ull, 30'000'000ull}) {
    const std::size_t b = StageTimes::bucket_of(us);
    EXPECT_LE(StageTimes::bucket_lower(b), us) << us;
    EXPECT_GT(StageTimes::bucket_upper(b), us) << us;
  }
  for (std::size_t b = 1; b < StageTimes::kBuckets; ++b)
    EXPECT_EQ(StageTimes::bucket_lower(b), StageTimes::bucket_upper(b - 1)) << b;
  EXPECT_EQ(StageTimes::bucket_of(UINT64_MAX), StageTimes::kBuckets - 1);
}

TEST(StageTimes, PercentilesAndIntervals) {
  StageTimes t;
  EXPECT_EQ(t.snapshot().percentile_ms(0.5), 0.0);
  for (int i = 0; i < 98; ++i)
    t.record(5);  // exact bucket: 5 µs
  t.record(1000);
  t.record(1000);
  const StageTimes::Snapshot first = t.snapshot();
  EXPECT_EQ(first.count, 100u);
  EXPECT_DOUBLE_EQ(first.percentile_ms(0.5), 0.005);
  EXPECT_DOUBLE_EQ(first.percentile_ms(0.98), 0.005);
  // 1000 µs lies in [960, 1024): reported as the middle, within 12.5 %.
  EXPECT_NEAR(first.percentile_ms(0.99), 1.0, 0.125);
  EXPECT_NEAR(first.mean_ms(), (98 * 5 + 2000) / 100.0 / 1000.0, 1e-12);

  t.record(20'000);
  const StageTimes::Snapshot interval = t.snapshot().since(first);
  EXPECT_EQ(interval.count, 1u);
  EXPECT_NEAR(interval.percentile_ms(0.5), 20.0, 2.5);
  EXPECT_DOUBLE_EQ(interval.mean_ms(), 20.0);
}

}  // namespace
}  // namespace camstream
