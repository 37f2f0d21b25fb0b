// stall_detector.cpp - one lazily re-armed timer per session, measuring time since progress.
#include "device/serve/stall_detector.hpp"

namespace camstream {

void StallDetector::begin() {
  if (cancelled_) return;
  writing_ = true;
  last_progress_ = Clock::now();
  // A timer still armed from an earlier write finds the new progress time when it expires.
  if (!armed_) arm(last_progress_ + timeout_);
}

void StallDetector::cancel() {
  cancelled_ = true;
  writing_ = false;
  ++generation_;
  armed_ = false;
  timer_.cancel();
  on_stall_ = nullptr;
}

void StallDetector::arm(Clock::time_point at) {
  armed_ = true;
  const std::uint64_t generation = generation_;
  timer_.expires_at(at);
  // The handler touches the detector only when the wait was not cancelled, which cancel() and
  // the destructor of the timer (so of the session) both do.
  timer_.async_wait([this, generation](std::error_code e) {
    if (e || generation != generation_) return;
    expired();
  });
}

void StallDetector::expired() {
  armed_ = false;
  if (!writing_) return;  // idle: the next write arms the timer again
  const Clock::time_point due = last_progress_ + timeout_;
  if (Clock::now() < due) return arm(due);
  // Copied first: the callback ends the session, which cancels this detector.
  const std::function<void()> stalled = on_stall_;
  if (stalled) stalled();
}

}  // namespace camstream
