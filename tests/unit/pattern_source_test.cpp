// pattern_source_test.cpp - the generated picture and the source's life cycle.
#include "device/capture/pattern_source.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "shared/jpeg.hpp"
#include "shared/seqcode.hpp"
#include "tests/unit/helpers.hpp"

namespace camstream {
namespace {

using namespace std::chrono_literals;

std::uint8_t luma_at(const Yuv420Image& img, int x, int y) {
  return img.y()[static_cast<std::size_t>(y) * static_cast<std::size_t>(img.y_stride()) +
                 static_cast<std::size_t>(x)];
}

std::uint8_t u_at(const Yuv420Image& img, int x, int y) {
  return img.u()[static_cast<std::size_t>(y / 2) * static_cast<std::size_t>(img.uv_stride()) +
                 static_cast<std::size_t>(x / 2)];
}

std::uint8_t v_at(const Yuv420Image& img, int x, int y) {
  return img.v()[static_cast<std::size_t>(y / 2) * static_cast<std::size_t>(img.uv_stride()) +
                 static_cast<std::size_t>(x / 2)];
}

// Leftmost column of the white square on the band's middle row, or -1.
int square_left(const Yuv420Image& img) {
  const int bars_h = PatternSource::bars_height(img.height());
  const int band_bottom = seqcode::layout_for(img.width(), img.height()).y0;
  const int row = (bars_h + band_bottom) / 2;
  for (int x = 0; x < img.width(); ++x) {
    if (luma_at(img, x, row) == 235) return x;
  }
  return -1;
}

std::string size_name(const ::testing::TestParamInfo<std::pair<int, int>>& p) {
  return std::to_string(p.param.first) + "x" + std::to_string(p.param.second);
}

class PatternSourceSizes : public ::testing::TestWithParam<std::pair<int, int>> {};

TEST_P(PatternSourceSizes, BarColoursAtBarCentres) {
  const auto [w, h] = GetParam();
  Yuv420Image img(w, h);
  PatternSource::render(img, 0);
  const int cy = PatternSource::bars_height(h) / 2;
  for (int i = 0; i < 8; ++i) {
    const int cx = (PatternSource::bar_left(w, i) + PatternSource::bar_left(w, i + 1)) / 2;
    EXPECT_EQ(luma_at(img, cx, cy), PatternSource::kBars[i].y) << "bar " << i;
    EXPECT_EQ(u_at(img, cx, cy), PatternSource::kBars[i].u) << "bar " << i;
    EXPECT_EQ(v_at(img, cx, cy), PatternSource::kBars[i].v) << "bar " << i;
  }
}

TEST_P(PatternSourceSizes, BarsCoverTheWidthInOrder) {
  const auto [w, h] = GetParam();
  EXPECT_EQ(PatternSource::bar_left(w, 0), 0);
  EXPECT_EQ(PatternSource::bar_left(w, 8), w);
  for (int i = 0; i < 8; ++i)
    EXPECT_LT(PatternSource::bar_left(w, i), PatternSource::bar_left(w, i + 1));
  EXPECT_GT(PatternSource::bars_height(h), 0);
  EXPECT_LT(PatternSource::bars_height(h), seqcode::layout_for(w, h).y0);
}

TEST_P(PatternSourceSizes, SquareMovesAndCodeMatchesSeq) {
  const auto [w, h] = GetParam();
  Yuv420Image first(w, h), later(w, h);
  PatternSource::render(first, 0);
  PatternSource::render(later, 30);
  const int x0 = square_left(first);
  const int x30 = square_left(later);
  ASSERT_GE(x0, 0);
  ASSERT_GE(x30, 0);
  EXPECT_GT(x30, x0);
  EXPECT_EQ(seqcode::read(first.y(), first.y_stride(), w, h), std::optional<std::uint32_t>(0));
  EXPECT_EQ(seqcode::read(later.y(), later.y_stride(), w, h), std::optional<std::uint32_t>(30));
}

INSTANTIATE_TEST_SUITE_P(Sizes, PatternSourceSizes,
                         ::testing::Values(std::pair{320, 240}, std::pair{640, 480},
                                           std::pair{1280, 720}, std::pair{1920, 1080}),
                         size_name);

TEST(PatternSource, BarValuesAreFullRangeBt601) {
  // The 100% bars in RGB, converted with the JFIF equations; the table may round either way.
  const int rgb[8][3] = {{255, 255, 255}, {255, 255, 0}, {0, 255, 255}, {0, 255, 0},
                         {255, 0, 255},   {255, 0, 0},   {0, 0, 255},   {0, 0, 0}};
  for (int i = 0; i < 8; ++i) {
    const double r = rgb[i][0], g = rgb[i][1], b = rgb[i][2];
    const double y = 0.299 * r + 0.587 * g + 0.114 * b;
    const double u = std::clamp(-0.168736 * r - 0.331264 * g + 0.5 * b + 128, 0.0, 255.0);
    const double v = std::clamp(0.5 * r - 0.418688 * g - 0.081312 * b + 128, 0.0, 255.0);
    EXPECT_NEAR(PatternSource::kBars[i].y, y, 1.0) << "bar " << i;
    EXPECT_NEAR(PatternSource::kBars[i].u, u, 1.0) << "bar " << i;
    EXPECT_NEAR(PatternSource::kBars[i].v, v, 1.0) << "bar " << i;
  }
}

TEST(PatternSource, RenderIsDeterministic) {
  Yuv420Image a(640, 480), b(640, 480);
  PatternSource::render(a, 77);
  std::fill(b.y(), b.y() + 640 * 480, 3);  // stale content must be fully overwritten
  PatternSource::render(b, 77);
  EXPECT_TRUE(std::equal(a.y(), a.y() + 640 * 480 + 2 * 320 * 240, b.y()));
}

// Takes frames, keeps the seqs, optionally holds on to them (so the source runs out of buffers).
class CollectingSink final : public FrameSink {
 public:
  explicit CollectingSink(bool accept, bool hold) : accept_(accept), hold_(hold) {}

  bool offer(RawFramePtr frame) override {
    std::lock_guard lock(mutex_);
    seqs_.push_back(frame->seq);
    EXPECT_NE(frame->planes.y, nullptr);
    if (hold_) held_.push_back(std::move(frame));
    changed_.notify_all();
    return accept_;
  }

  bool wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return seqs_.size() >= count; });
  }

  std::vector<std::uint64_t> seqs() {
    std::lock_guard lock(mutex_);
    return seqs_;
  }

  void release() {
    std::lock_guard lock(mutex_);
    held_.clear();
  }

 private:
  const bool accept_;
  const bool hold_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::uint64_t> seqs_;
  std::vector<RawFramePtr> held_;
};

TEST(PatternSource, OffersFramesInSequence) {
  CollectingSink sink(true, false);
  PatternSource source(320, 240, 0, 3);
  EXPECT_NE(source.describe().find("320x240"), std::string::npos);
  source.start(sink);
  ASSERT_TRUE(sink.wait_for(20));
  source.stop();
  const auto seqs = sink.seqs();
  // Every buffer comes back at once, so no frame is skipped: 0, 1, 2, ...
  for (std::size_t i = 0; i < seqs.size(); ++i)
    EXPECT_EQ(seqs[i], i);
  const SourceStats stats = source.stats();
  EXPECT_EQ(stats.captured, seqs.size());
  EXPECT_EQ(stats.dropped, 0u);
  // Stopped means stopped: nothing more is offered.
  EXPECT_EQ(sink.seqs().size(), seqs.size());
}

TEST(PatternSource, RefusedFramesCountAsDropped) {
  CollectingSink sink(false, false);
  PatternSource source(320, 240, 0, 2);
  source.start(sink);
  ASSERT_TRUE(sink.wait_for(5));
  source.stop();
  const SourceStats stats = source.stats();
  EXPECT_EQ(stats.dropped, sink.seqs().size());
  EXPECT_EQ(stats.captured, sink.seqs().size());
}

TEST(PatternSource, BuffersBoundTheFramesInFlight) {
  CollectingSink sink(true, true);
  // Paced, so that each frame it has no buffer for is counted as dropped.
  PatternSource source(320, 240, 1000, 2);
  source.start(sink);
  ASSERT_TRUE(sink.wait_for(2));
  // Both buffers are held: the source, having tried again and again, offered no third frame.
  ASSERT_TRUE(testing::eventually([&] { return source.stats().dropped >= 3; }));
  EXPECT_EQ(sink.seqs().size(), 2u);
  const std::uint64_t dropped = source.stats().dropped;
  sink.release();
  EXPECT_TRUE(sink.wait_for(4));
  source.stop();
  // The frames it could not draw took their sequence numbers, as a camera's would.
  EXPECT_GE(sink.seqs()[2], 2 + dropped);
  sink.release();
}

TEST(PatternSource, PacedSourceStopsPromptlyAndRestarts) {
  CollectingSink sink(true, false);
  PatternSource source(320, 240, 1000, 2);
  source.start(sink);
  ASSERT_TRUE(sink.wait_for(3));
  source.stop();
  source.stop();  // idempotent
  const std::size_t before = sink.seqs().size();
  source.start(sink);
  ASSERT_TRUE(sink.wait_for(before + 3));
  source.stop();
}

// Grain makes the JPEG several times larger, changes from frame to frame, and leaves the
// seqcode readable, so --check-pattern still works on a noisy stream.
TEST(PatternSource, NoisyPatternIsLargerAndKeepsItsCode) {
  Yuv420Image clean(1280, 720), noisy(1280, 720), noisy_next(1280, 720);
  PatternSource::render(clean, 5);
  PatternSource::render(noisy, 5);
  PatternSource::render(noisy_next, 6);
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
  for (int row = 0; row < PatternSource::bars_height(720); ++row) {
    if (std::memcmp(noisy.y() + row * noisy.y_stride(), noisy_next.y() + row * noisy.y_stride(),
                    1280) != 0)
      ++differing_rows;
  }
  EXPECT_EQ(differing_rows, PatternSource::bars_height(720));
}

}  // namespace
}  // namespace camstream
