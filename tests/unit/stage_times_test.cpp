// stage_times_test.cpp - the per-stage time histogram: buckets, percentiles, intervals.
#include "device/encode/stage_times.hpp"

#include <cstdint>

#include <gtest/gtest.h>

namespace camstream {
namespace {

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
