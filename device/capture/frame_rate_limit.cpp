// frame_rate_limit.cpp - the frame-by-frame rate decision (see the header for the contract).
#include "device/capture/frame_rate_limit.hpp"

#include <cmath>

namespace camstream {

FrameRateLimit::FrameRateLimit(double fps) {
  if (fps > 0) period_ns_ = static_cast<std::uint64_t>(std::llround(1e9 / fps));
}

bool FrameRateLimit::admit(std::uint64_t capture_us) {
  if (period_ns_ == 0) return true;
  const std::uint64_t t = capture_us * 1000;
  const std::uint64_t half = period_ns_ / 2;
  if (started_ && t < last_ns_) started_ = false;  // time went backwards
  if (!started_) {
    started_ = true;
    due_ns_ = t + period_ns_;
    last_ns_ = t;
    return true;
  }
  if (t + half < due_ns_) return false;
  last_ns_ = t;
  // Due times advance by whole periods, so the long-run rate is exactly fps, however late
  // within its half-period window each frame comes. A frame later than that means the camera
  // is slower than asked or paused: start the count from it instead.
  due_ns_ = (t > due_ns_ + half ? t : due_ns_) + period_ns_;
  return true;
}

}  // namespace camstream
