// clock.hpp - the one clock every timestamp in camstream is on: CLOCK_MONOTONIC, microseconds.
#pragma once

#include <cstdint>

#include <time.h>

namespace camstream {

// Same clock as libcamera's sensor timestamps, so capture times from the test pattern and
// from a camera compare directly.
inline std::uint64_t monotonic_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000u +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

}  // namespace camstream
