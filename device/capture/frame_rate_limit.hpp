// frame_rate_limit.hpp - holds a camera to the frame rate asked for when it delivers faster.
#pragma once

#include <cstdint>

namespace camstream {

// Decides, frame by frame on the capture thread, whether a frame captured at `capture_us` fits
// the rate `fps`; frames that do not are let go before encoding. Over any stretch of time no
// more than fps frames a second (plus one) pass, whatever rate the camera runs at, and a camera
// that keeps the rate itself loses none: a frame may come up to half a period early and still
// pass, so jitter in its timestamps costs nothing. After a pause (no frames, or frames slower
// than asked) it starts afresh rather than letting a burst through to catch up.
class FrameRateLimit {
 public:
  // fps <= 0: no limit, every frame passes.
  explicit FrameRateLimit(double fps);

  // True when the frame should be encoded. Timestamps from one clock, in microseconds; a
  // timestamp going backwards (a new camera session) starts afresh.
  bool admit(std::uint64_t capture_us);

  // Forget the past: the next frame passes (a new camera session starts).
  void reset() { started_ = false; }

 private:
  std::uint64_t period_ns_ = 0;  // 0: no limit
  bool started_ = false;
  std::uint64_t due_ns_ = 0;   // when the next frame is due
  std::uint64_t last_ns_ = 0;  // when the last frame let through was captured
};

}  // namespace camstream
