// frame_rate_limit_test.cpp - FrameRateLimit against cameras faster, slower and as fast as asked.
#include "device/capture/frame_rate_limit.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

namespace camstream {
namespace {

// Feeds `seconds` of frames at `camera_fps` (each timestamp moved by jitter(i) microseconds)
// and returns the capture times of the frames let through.
template <typename Jitter>
std::vector<std::uint64_t> run(FrameRateLimit& limit, double camera_fps, double seconds,
                               Jitter jitter, std::uint64_t start_us = 1'000'000) {
  std::vector<std::uint64_t> passed;
  const auto frames = static_cast<int>(std::lround(camera_fps * seconds));
  for (int i = 0; i < frames; ++i) {
    const auto t = static_cast<std::uint64_t>(static_cast<double>(start_us) + i * 1e6 / camera_fps +
                                              jitter(i));
    if (limit.admit(t)) passed.push_back(t);
  }
  return passed;
}

std::vector<std::uint64_t> run(FrameRateLimit& limit, double camera_fps, double seconds) {
  return run(limit, camera_fps, seconds, [](int) { return 0.0; });
}

TEST(FrameRateLimit, NoLimitLetsEveryFrameThrough) {
  FrameRateLimit limit(0);
  EXPECT_EQ(run(limit, 1000, 1).size(), 1000u);
}

// The virtual camera of libcamera 0.7 ignores FrameDurationLimits and runs near 290 fps.
TEST(FrameRateLimit, AFastCameraIsHeldToTheRateAskedFor) {
  FrameRateLimit limit(30);
  const auto passed = run(limit, 290, 10);
  EXPECT_GE(passed.size(), 299u);
  EXPECT_LE(passed.size(), 301u);
  // Evenly spread: never two frames within half a period.
  for (std::size_t i = 1; i < passed.size(); ++i)
    EXPECT_GE(passed[i] - passed[i - 1], 1'000'000u / 60) << "frames " << i - 1 << ", " << i;
}

TEST(FrameRateLimit, TwiceTheRateGivesEveryOtherFrame) {
  FrameRateLimit limit(30);
  const auto passed = run(limit, 60, 10);
  EXPECT_GE(passed.size(), 299u);
  EXPECT_LE(passed.size(), 301u);
}

TEST(FrameRateLimit, ASlightlyFastCameraLosesOnlyTheSurplus) {
  FrameRateLimit limit(30);
  const auto passed = run(limit, 31, 30);  // 930 frames
  EXPECT_GE(passed.size(), 899u);
  EXPECT_LE(passed.size(), 901u);
}

TEST(FrameRateLimit, ACameraKeepingTheRateLosesNoFrameToJitter) {
  FrameRateLimit limit(30);
  // Timestamps wander by up to +-8 ms around a steady 30 fps.
  const auto passed = run(limit, 30, 20, [](int i) { return 8000.0 * std::sin(i * 1.7); });
  EXPECT_EQ(passed.size(), 600u);
}

TEST(FrameRateLimit, ASlowerCameraLosesNothing) {
  FrameRateLimit limit(30);
  EXPECT_EQ(run(limit, 29.97, 20).size(), 599u);
  FrameRateLimit slow(30);
  EXPECT_EQ(run(slow, 10, 5).size(), 50u);
}

TEST(FrameRateLimit, AfterAPauseNoBurstCatchesUp) {
  FrameRateLimit limit(30);
  run(limit, 290, 1);
  // Two seconds without frames, then the fast camera again: still 30 a second, not a burst
  // of the 60 frames the pause "owed".
  const auto passed = run(
      limit, 290, 1, [](int) { return 0.0; }, 4'000'000);
  EXPECT_GE(passed.size(), 29u);
  EXPECT_LE(passed.size(), 31u);
  EXPECT_EQ(passed.front(), 4'000'000u);
}

TEST(FrameRateLimit, TimeGoingBackwardsStartsAfresh) {
  FrameRateLimit limit(30);
  run(
      limit, 290, 1, [](int) { return 0.0; }, 50'000'000);
  // A new camera session on a clock that reads earlier: its first frame passes at once.
  EXPECT_TRUE(limit.admit(2'000'000));
  EXPECT_FALSE(limit.admit(2'003'000));
  limit.reset();
  EXPECT_TRUE(limit.admit(2'004'000));
}

}  // namespace
}  // namespace camstream
