// deadline.hpp - the one timer of a session, bounding whatever it waits for next.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include <asio.hpp>

namespace camstream {

// A session waits for one thing at a time (a handshake, a request head, a write to complete)
// and arms its deadline for it. Re-arming or disarming makes an earlier expiry harmless even
// when its completion is already queued on the loop, which a bare steady_timer does not.
// Used on the server's event loop only.
class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Deadline(const asio::any_io_executor& executor) : timer_(executor) {}

  // Calls `on_expiry` at `when` unless disarmed or re-armed first. `on_expiry` holds whatever
  // it needs alive (the session's shared_ptr) until it runs or is dropped.
  void arm_at(Clock::time_point when, std::function<void()> on_expiry);
  void arm(std::chrono::milliseconds after, std::function<void()> on_expiry) {
    arm_at(Clock::now() + after, std::move(on_expiry));
  }
  void disarm();
  // When the armed deadline expires (meaningless while disarmed).
  Clock::time_point expiry() const { return timer_.expiry(); }

 private:
  asio::steady_timer timer_;
  std::uint64_t generation_ = 0;
};

}  // namespace camstream
