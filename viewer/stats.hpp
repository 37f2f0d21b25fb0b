// stats.hpp - camview's per-second figures: fps, bitrate, skips, losses and latency.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace camstream {

struct WindowFigures {
  double seconds = 0;
  double fps = 0;
  double kbit_per_s = 0;
  std::uint64_t skipped = 0;  // received but replaced before display
  std::uint64_t lost = 0;     // sequence numbers never received (dropped by the daemon)
  bool have_latency = false;
  double latency_p50_ms = 0;  // capture (device clock) -> decoded (viewer clock)
  double latency_p99_ms = 0;
};

// Collects samples over a window and summarises it. Not thread-safe: the main loop owns it.
class ViewerStats {
 public:
  explicit ViewerStats(std::uint64_t start_us) : window_start_us_(start_us) {}

  // One decoded frame. `latency_us` < 0 when the clock offset is not known yet.
  void frame(std::uint64_t seq, std::int64_t latency_us);
  // Summarises the window that ends at `now_us` and starts the next one. `bytes_total` and
  // `skipped_total` are running totals, of which the window's share is taken.
  WindowFigures roll(std::uint64_t now_us, std::uint64_t bytes_total, std::uint64_t skipped_total);

  static std::string format(const WindowFigures& f);

 private:
  std::uint64_t window_start_us_;
  std::uint64_t frames_ = 0;
  std::uint64_t lost_ = 0;
  bool have_seq_ = false;
  std::uint64_t last_seq_ = 0;
  std::uint64_t bytes_at_start_ = 0;
  std::uint64_t skipped_at_start_ = 0;
  std::vector<std::int64_t> latencies_;
};

}  // namespace camstream
