// encoder_pool_test.cpp - the worker pool, functionally: ordering, refusal, stop, buffer release.
#include "device/encode/encoder_pool.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "device/capture/pattern_source.hpp"
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
      PatternSource::render(*images_.back(), static_cast<std::uint64_t>(i));
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

// One picture, and a started pool of `workers` whose sink holds every worker inside
// publish() until sink.open(). The destructor opens it, so a failed test cannot hang joining.
struct GatedPool {
  explicit GatedPool(int workers, int width = 320, int height = 240)
      : pictures(width, height, 1), pool(workers, 80, sink) {
    pool.start();
  }
  ~GatedPool() { sink.open(); }

  Pictures pictures;
  RecordingSink sink{nullptr, /*gate_open=*/false};
  EncoderPool pool;
};

TEST(EncoderPool, PublishesNewerFramesOnceEachWithTheirOwnPixels) {
  Pictures pictures(320, 240, 7);
  Hub hub;
  testing::Heard heard;
  heard.attach(hub);
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
  const std::vector<std::uint64_t> seqs = heard.seqs();
  ASSERT_FALSE(seqs.empty());
  for (std::size_t i = 1; i < seqs.size(); ++i)
    EXPECT_LT(seqs[i - 1], seqs[i]);
  EXPECT_EQ(hub.published(), seqs.size());
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
  GatedPool g(1, 640, 480);
  auto& [pictures, sink, pool] = g;
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
  GatedPool g(2);
  auto& [pictures, sink, pool] = g;
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
  GatedPool g(1);
  auto& [pictures, sink, pool] = g;
  std::stop_source stop;
  EXPECT_TRUE(pool.offer_wait(pictures.frame(0), stop.get_token())) << "a worker is idle";
  ASSERT_TRUE(sink.wait_entered(1));  // the only worker is now held inside publish()
  EXPECT_TRUE(pool.offer_wait(pictures.frame(1), stop.get_token())) << "no frame waiting yet";
  EXPECT_FALSE(pool.offer(pictures.frame(2))) << "offer() still refuses when all are busy";

  std::atomic<int> result{-1};
  testing::BlockingCall waiter(
      [&] { result = pool.offer_wait(pictures.frame(3), stop.get_token()) ? 1 : 0; });
  EXPECT_TRUE(waiter.asleep()) << "took a second frame while one already waited";
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
  GatedPool g(1);
  auto& [pictures, sink, pool] = g;
  std::stop_source stop;
  ASSERT_TRUE(pool.offer_wait(pictures.frame(0), stop.get_token()));
  ASSERT_TRUE(sink.wait_entered(1));
  ASSERT_TRUE(pool.offer_wait(pictures.frame(1), stop.get_token()));

  std::atomic<int> result{-1};
  testing::BlockingCall waiter(
      [&] { result = pool.offer_wait(pictures.frame(2), stop.get_token()) ? 1 : 0; });
  EXPECT_TRUE(waiter.asleep()) << "returned with no room";
  stop.request_stop();
  waiter.join();
  EXPECT_EQ(result.load(), 0);

  result = -1;
  std::stop_source other;
  testing::BlockingCall stopped_by_pool(
      [&] { result = pool.offer_wait(pictures.frame(3), other.get_token()) ? 1 : 0; });
  EXPECT_TRUE(stopped_by_pool.asleep()) << "returned with no room";
  std::thread stopper([&] { pool.stop(); });  // joins the worker once the gate opens
  ASSERT_TRUE(eventually([&] { return result.load() == 0; })) << "still waiting after stop()";
  sink.open();
  stopper.join();
  stopped_by_pool.join();
  EXPECT_EQ(pictures.released(), pictures.created());
}

}  // namespace
}  // namespace camstream
