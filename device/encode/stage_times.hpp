// stage_times.hpp - a lock-free histogram of how long a pipeline stage took, for the stats.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace camstream {

// Durations in µs fall into buckets eight to each power of two (12.5 % wide), from 0 to past
// four minutes; record() is a few relaxed atomic adds, so encoder threads and the event loop
// call it per frame without a lock. Readers take snapshots and subtract an earlier one to get
// the figures of an interval.
class StageTimes {
 public:
  static constexpr std::size_t kBuckets = 208;

  struct Snapshot {
    std::array<std::uint64_t, kBuckets> counts{};
    std::uint64_t count = 0;
    std::uint64_t total_us = 0;

    // What happened after `earlier` (a snapshot of the same StageTimes taken before).
    Snapshot since(const Snapshot& earlier) const;
    double mean_ms() const;
    // The q-quantile (0..1) in ms, to the bucket's middle; 0 when there is no sample.
    double percentile_ms(double q) const;
  };

  void record(std::uint64_t us);
  Snapshot snapshot() const;

  // The bucket of `us` and the range [lower, upper) of µs it covers; public for tests.
  static std::size_t bucket_of(std::uint64_t us);
  static std::uint64_t bucket_lower(std::size_t bucket);
  static std::uint64_t bucket_upper(std::size_t bucket);

 private:
  std::array<std::atomic<std::uint64_t>, kBuckets> counts_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> total_us_{0};
};

}  // namespace camstream
