// stage_times.cpp - bucketing and percentiles of stage durations.
#include "device/encode/stage_times.hpp"

#include <bit>
#include <cmath>

namespace camstream {
namespace {

constexpr std::uint64_t kSub = 8;  // buckets per power of two
constexpr int kSubBits = 3;

}  // namespace

std::size_t StageTimes::bucket_of(std::uint64_t us) {
  if (us < kSub) return static_cast<std::size_t>(us);
  const int e = std::bit_width(us) - 1;  // floor(log2(us)), at least kSubBits
  const std::uint64_t sub = (us >> (e - kSubBits)) & (kSub - 1);
  const std::size_t b =
      static_cast<std::size_t>(kSub * static_cast<std::uint64_t>(e - kSubBits + 1) + sub);
  return b < kBuckets ? b : kBuckets - 1;
}

std::uint64_t StageTimes::bucket_lower(std::size_t bucket) {
  if (bucket < kSub) return bucket;
  const std::size_t e = bucket / kSub + kSubBits - 1;
  const std::uint64_t sub = bucket % kSub;
  return (kSub + sub) << (e - kSubBits);
}

std::uint64_t StageTimes::bucket_upper(std::size_t bucket) {
  if (bucket + 1 >= kBuckets) return UINT64_MAX;
  return bucket_lower(bucket + 1);
}

void StageTimes::record(std::uint64_t us) {
  counts_[bucket_of(us)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  total_us_.fetch_add(us, std::memory_order_relaxed);
}

StageTimes::Snapshot StageTimes::snapshot() const {
  Snapshot s;
  for (std::size_t i = 0; i < kBuckets; ++i)
    s.counts[i] = counts_[i].load(std::memory_order_relaxed);
  s.count = count_.load(std::memory_order_relaxed);
  s.total_us = total_us_.load(std::memory_order_relaxed);
  return s;
}

StageTimes::Snapshot StageTimes::Snapshot::since(const Snapshot& earlier) const {
  Snapshot d;
  for (std::size_t i = 0; i < kBuckets; ++i)
    d.counts[i] = counts[i] - earlier.counts[i];
  d.count = count - earlier.count;
  d.total_us = total_us - earlier.total_us;
  return d;
}

double StageTimes::Snapshot::mean_ms() const {
  return count ? static_cast<double>(total_us) / 1000.0 / static_cast<double>(count) : 0.0;
}

double StageTimes::Snapshot::percentile_ms(double q) const {
  // Sum the buckets rather than trust `count`: a snapshot taken while record() runs may see
  // the bucket before the count or after it.
  std::uint64_t n = 0;
  for (const auto c : counts)
    n += c;
  if (n == 0) return 0.0;
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts[i];
    if (seen >= rank && counts[i] > 0) {
      const std::uint64_t lo = bucket_lower(i);
      const std::uint64_t hi = i + 1 < kBuckets ? bucket_upper(i) : lo * 2;
      // Single-µs buckets report their value; wider ones their middle.
      const double mid = hi - lo <= 1 ? static_cast<double>(lo) : static_cast<double>(lo + hi) / 2;
      return mid / 1000.0;
    }
  }
  return 0.0;
}

}  // namespace camstream
