// stats.hpp - camview's per-second figures: fps, bitrate, skips, losses and latency.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace camstream {

struct WindowFigures {
  double seconds = 0;
  double fps = 0;  // frames decoded per second
  double kbit_per_s = 0;
  std::uint64_t skipped = 0;  // received, then replaced by a newer one before decoding
  std::uint64_t lost = 0;     // sequence numbers never received: skipped by the daemon
  bool have_latency = false;
  double latency_p50_ms = 0;  // capture (device clock) -> decoded (viewer clock)
  double latency_p99_ms = 0;
};

// Collects samples over a window and summarises it. Not thread-safe: the main loop owns it.
class ViewerStats {
 public:
  explicit ViewerStats(std::uint64_t start_us) : window_start_us_(start_us) {}

  // One decoded frame. `latency_us` < 0 when the clock offset is not known yet.
  void frame(std::int64_t latency_us);
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
  std::vector<std::int64_t> latencies_;
};

}  // namespace camstream
