// viewer_stats_test.cpp - camview's window figures: fps, bitrate, skips, losses, latency.
#include <string>

#include <gtest/gtest.h>

#include "viewer/stats.hpp"

namespace camstream {
namespace {

constexpr std::uint64_t kStart = 5'000'000;

TEST(ViewerStats, FpsBitrateSkipsAndLostOverAWindow) {
  ViewerStats stats(kStart);
  for (int i = 0; i < 60; ++i)
    stats.frame(-1, -1, -1);
  // 60 frames in 2 s; 500 kB in 2 s is 2000 kbit/s; 7 skips and 3 losses since the start.
  const WindowFigures f = stats.roll(kStart + 2'000'000, 500'000, 7, 3);
  EXPECT_DOUBLE_EQ(f.seconds, 2.0);
  EXPECT_DOUBLE_EQ(f.fps, 30.0);
  EXPECT_DOUBLE_EQ(f.kbit_per_s, 2000.0);
  EXPECT_EQ(f.skipped, 7u);
  EXPECT_EQ(f.lost, 3u);
  EXPECT_FALSE(f.decoded.have);
}

TEST(ViewerStats, EachWindowTakesItsShareOfTheTotals) {
  ViewerStats stats(kStart);
  stats.frame(1000, 1000, 500);
  stats.frame(1000, 1000, 500);
  const WindowFigures first = stats.roll(kStart + 1'000'000, 1000, 3, 5);
  EXPECT_DOUBLE_EQ(first.fps, 2.0);
  EXPECT_EQ(first.skipped, 3u);
  EXPECT_EQ(first.lost, 5u);
  EXPECT_TRUE(first.decoded.have);

  stats.frame(-1, -1, -1);
  const WindowFigures second = stats.roll(kStart + 1'500'000, 1000 + 62'500, 4, 7);
  EXPECT_DOUBLE_EQ(second.seconds, 0.5);
  EXPECT_DOUBLE_EQ(second.fps, 2.0);
  EXPECT_DOUBLE_EQ(second.kbit_per_s, 1000.0);
  EXPECT_EQ(second.skipped, 1u);
  EXPECT_EQ(second.lost, 2u);
  EXPECT_FALSE(second.decoded.have);  // the first window's samples are gone
  EXPECT_FALSE(second.decode.have);

  const WindowFigures third = stats.roll(kStart + 2'500'000, 1000 + 62'500, 4, 7);
  EXPECT_DOUBLE_EQ(third.fps, 0.0);
  EXPECT_DOUBLE_EQ(third.kbit_per_s, 0.0);
  EXPECT_EQ(third.skipped, 0u);
  EXPECT_EQ(third.lost, 0u);
}

TEST(ViewerStats, ZeroLengthWindowDividesByNothing) {
  ViewerStats stats(kStart);
  stats.frame(-1, -1, -1);
  const WindowFigures f = stats.roll(kStart, 100, 0, 0);
  EXPECT_DOUBLE_EQ(f.seconds, 0.0);
  EXPECT_DOUBLE_EQ(f.fps, 0.0);
  EXPECT_DOUBLE_EQ(f.kbit_per_s, 0.0);
}

TEST(ViewerStats, LatencyPercentiles) {
  ViewerStats stats(kStart);
  // 1..100 ms, in a scrambled order; negative samples (clock unknown) are left out.
  for (int i = 0; i < 100; ++i) {
    const std::int64_t ms = (i * 37) % 100 + 1;
    // received 1..100 ms, decoded 2 ms later, decoding alone took 0.5 ms.
    stats.frame(ms * 1000, ms * 1000 + 2000, 500);
    stats.frame(-5, -5, 700);
    stats.presented(ms * 1000 + 10'000);
    stats.presented(-1);
  }
  const WindowFigures f = stats.roll(kStart + 1'000'000, 0, 0, 0);
  EXPECT_DOUBLE_EQ(f.fps, 200.0);  // every decoded frame counts, with or without latency
  ASSERT_TRUE(f.received.have);
  ASSERT_TRUE(f.decoded.have);
  ASSERT_TRUE(f.presented.have);
  ASSERT_TRUE(f.decode.have);
  // Nearest rank over the sorted samples: index round(0.5 * 99) = 50 and round(0.99 * 99) = 98.
  EXPECT_DOUBLE_EQ(f.received.p50_ms, 51.0);
  EXPECT_DOUBLE_EQ(f.received.p99_ms, 99.0);
  EXPECT_DOUBLE_EQ(f.decoded.p50_ms, 53.0);
  EXPECT_DOUBLE_EQ(f.decoded.p99_ms, 101.0);
  EXPECT_DOUBLE_EQ(f.presented.p50_ms, 61.0);
  EXPECT_DOUBLE_EQ(f.presented.p99_ms, 109.0);
  // 200 decode times, half 0.5 ms and half 0.7 ms: index 100 of 0..199 is the first 0.7.
  EXPECT_DOUBLE_EQ(f.decode.p50_ms, 0.7);
  EXPECT_DOUBLE_EQ(f.decode.p99_ms, 0.7);
}

TEST(ViewerStats, PresentedOnlyWhenShown) {
  ViewerStats stats(kStart);
  stats.frame(3000, 4000, 900);  // headless: decoded, never presented
  const WindowFigures f = stats.roll(kStart + 1'000'000, 0, 0, 0);
  EXPECT_TRUE(f.received.have);
  EXPECT_TRUE(f.decoded.have);
  EXPECT_FALSE(f.presented.have);
  const std::string s = ViewerStats::format(f);
  EXPECT_NE(s.find("received 3.0/3.0 ms"), std::string::npos) << s;
  EXPECT_NE(s.find("decoded 4.0/4.0 ms"), std::string::npos) << s;
  EXPECT_EQ(s.find("presented"), std::string::npos) << s;
  EXPECT_NE(s.find("decode 0.9/0.9 ms"), std::string::npos) << s;
}

TEST(ViewerStats, OneLatencySample) {
  ViewerStats stats(kStart);
  stats.frame(-1, 12'345, -1);
  const WindowFigures f = stats.roll(kStart + 1'000'000, 0, 0, 0);
  ASSERT_TRUE(f.decoded.have);
  EXPECT_FALSE(f.received.have);
  EXPECT_FALSE(f.decode.have);
  EXPECT_DOUBLE_EQ(f.decoded.p50_ms, 12.345);
  EXPECT_DOUBLE_EQ(f.decoded.p99_ms, 12.345);
}

TEST(ViewerStats, FormatNamesEveryFigure) {
  WindowFigures f;
  f.fps = 29.97;
  f.kbit_per_s = 1234;
  f.skipped = 3;
  f.lost = 2;
  std::string s = ViewerStats::format(f);
  EXPECT_NE(s.find("30.0 fps"), std::string::npos) << s;
  EXPECT_NE(s.find("1234 kbit/s"), std::string::npos) << s;
  EXPECT_NE(s.find("3 skipped"), std::string::npos) << s;
  EXPECT_NE(s.find("2 lost"), std::string::npos) << s;
  EXPECT_EQ(s.find("latency"), std::string::npos) << s;
  f.decoded.have = true;
  f.decoded.p50_ms = 12.5;
  f.decoded.p99_ms = 40;
  f.presented.have = true;
  f.presented.p50_ms = 20;
  f.presented.p99_ms = 50;
  s = ViewerStats::format(f);
  EXPECT_NE(s.find("latency from capture p50/p99:"), std::string::npos) << s;
  EXPECT_NE(s.find("decoded 12.5/40.0 ms"), std::string::npos) << s;
  EXPECT_NE(s.find("presented 20.0/50.0 ms"), std::string::npos) << s;
  EXPECT_EQ(s.find("received"), std::string::npos) << s;
}

}  // namespace
}  // namespace camstream
