// deadline.cpp - a steady_timer whose stale expiries are ignored.
#include "device/serve/deadline.hpp"

namespace camstream {

void Deadline::arm_at(Clock::time_point when, std::function<void()> on_expiry) {
  const std::uint64_t generation = ++generation_;
  timer_.expires_at(when);
  timer_.async_wait([this, generation, on_expiry = std::move(on_expiry)](std::error_code e) {
    if (e || generation != generation_) return;
    on_expiry();
  });
}

void Deadline::disarm() {
  ++generation_;
  timer_.cancel();
}

}  // namespace camstream
