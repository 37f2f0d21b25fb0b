// stats.cpp - window bookkeeping and the one-line summary.
#include "viewer/stats.hpp"

#include <algorithm>
#include <cstdio>

namespace camstream {

void ViewerStats::frame(std::int64_t latency_us) {
  ++frames_;
  if (latency_us >= 0) latencies_.push_back(latency_us);
}

WindowFigures ViewerStats::roll(std::uint64_t now_us, std::uint64_t bytes_total,
                                std::uint64_t skipped_total, std::uint64_t lost_total) {
  WindowFigures f;
  f.seconds = static_cast<double>(now_us - window_start_us_) / 1e6;
  if (f.seconds > 0) {
    f.fps = static_cast<double>(frames_) / f.seconds;
    f.kbit_per_s = static_cast<double>(bytes_total - bytes_at_start_) * 8 / 1000 / f.seconds;
  }
  f.skipped = skipped_total - skipped_at_start_;
  f.lost = lost_total - lost_at_start_;
  if (!latencies_.empty()) {
    std::sort(latencies_.begin(), latencies_.end());
    const auto at = [&](double q) {
      const auto i = static_cast<std::size_t>(q * static_cast<double>(latencies_.size() - 1) + 0.5);
      return static_cast<double>(latencies_[i]) / 1000.0;
    };
    f.have_latency = true;
    f.latency_p50_ms = at(0.50);
    f.latency_p99_ms = at(0.99);
  }
  window_start_us_ = now_us;
  frames_ = 0;
  lost_at_start_ = lost_total;
  bytes_at_start_ = bytes_total;
  skipped_at_start_ = skipped_total;
  latencies_.clear();
  return f;
}

std::string ViewerStats::format(const WindowFigures& f) {
  char buf[200];
  int n = std::snprintf(buf, sizeof buf, "%.1f fps, %.0f kbit/s, %llu skipped, %llu lost", f.fps,
                        f.kbit_per_s, static_cast<unsigned long long>(f.skipped),
                        static_cast<unsigned long long>(f.lost));
  if (f.have_latency && n > 0 && static_cast<std::size_t>(n) < sizeof buf) {
    std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n),
                  ", latency capture->decoded p50 %.1f ms p99 %.1f ms", f.latency_p50_ms,
                  f.latency_p99_ms);
  }
  return buf;
}

}  // namespace camstream
