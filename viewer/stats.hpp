// stats.hpp - camview's per-second figures: fps, bitrate, skips, losses and latency.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace camstream {

// One latency over a window, in milliseconds; `have` is false when no frame had a sample.
struct LatencyFigures {
  bool have = false;
  double p50_ms = 0;
  double p99_ms = 0;
};

struct WindowFigures {
  double seconds = 0;
  double fps = 0;  // frames decoded per second
  double kbit_per_s = 0;
  std::uint64_t skipped = 0;  // received, then replaced by a newer one before decoding
  std::uint64_t lost = 0;     // sequence numbers never received: skipped by the daemon
  // From capture (device clock, through the estimated offset) to a point on the viewer.
  LatencyFigures received;   // the frame's last byte read off the socket
  LatencyFigures decoded;    // its JPEG decoded
  LatencyFigures presented;  // on screen (only with a window)
  LatencyFigures decode;     // the decoding alone, which needs no clock offset
};

// Collects samples over a window and summarises it. Not thread-safe: the main loop owns it.
class ViewerStats {
 public:
  explicit ViewerStats(std::uint64_t start_us) : window_start_us_(start_us) {}

  // One decoded frame. Each latency is < 0 when unknown (the clock offset is not known yet);
  // `decode_us` is how long decoding took.
  void frame(std::int64_t received_latency_us, std::int64_t decoded_latency_us,
             std::int64_t decode_us);
  // The frame decoded last reached the screen this long after capture (< 0: unknown).
  void presented(std::int64_t latency_us);
  // Summarises the window that ends at `now_us` and starts the next one. The three counts are
  // running totals since the start, of which the window's share is taken.
  WindowFigures roll(std::uint64_t now_us, std::uint64_t bytes_total, std::uint64_t skipped_total,
                     std::uint64_t lost_total);

  static std::string format(const WindowFigures& f);

 private:
  std::uint64_t window_start_us_;
  std::uint64_t frames_ = 0;
  std::uint64_t bytes_at_start_ = 0;
  std::uint64_t skipped_at_start_ = 0;
  std::uint64_t lost_at_start_ = 0;
  std::vector<std::int64_t> received_;
  std::vector<std::int64_t> decoded_;
  std::vector<std::int64_t> presented_;
  std::vector<std::int64_t> decode_;
};

}  // namespace camstream
