// stats.cpp - window bookkeeping and the one-line summary.
#include "viewer/stats.hpp"

#include <algorithm>
#include <cstdio>

namespace camstream {
namespace {

// Nearest-rank percentiles of the samples, which it sorts and then empties.
LatencyFigures summarise(std::vector<std::int64_t>& samples) {
  LatencyFigures f;
  if (samples.empty()) return f;
  std::sort(samples.begin(), samples.end());
  const auto at = [&](double q) {
    const auto i = static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1) + 0.5);
    return static_cast<double>(samples[i]) / 1000.0;
  };
  f.have = true;
  f.p50_ms = at(0.50);
  f.p99_ms = at(0.99);
  samples.clear();
  return f;
}

void add(std::vector<std::int64_t>& samples, std::int64_t us) {
  if (us >= 0) samples.push_back(us);
}

void append(std::string& out, const char* name, const LatencyFigures& f) {
  if (!f.have) return;
  char buf[80];
  std::snprintf(buf, sizeof buf, " %s %.1f/%.1f ms", name, f.p50_ms, f.p99_ms);
  out += buf;
}

}  // namespace

void ViewerStats::frame(std::int64_t received_latency_us, std::int64_t decoded_latency_us,
                        std::int64_t decode_us) {
  ++frames_;
  add(received_, received_latency_us);
  add(decoded_, decoded_latency_us);
  add(decode_, decode_us);
}

void ViewerStats::presented(std::int64_t latency_us) {
  add(presented_, latency_us);
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
  f.received = summarise(received_);
  f.decoded = summarise(decoded_);
  f.presented = summarise(presented_);
  f.decode = summarise(decode_);
  window_start_us_ = now_us;
  frames_ = 0;
  lost_at_start_ = lost_total;
  bytes_at_start_ = bytes_total;
  skipped_at_start_ = skipped_total;
  return f;
}

std::string ViewerStats::format(const WindowFigures& f) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%.1f fps, %.0f kbit/s, %llu skipped, %llu lost", f.fps,
                f.kbit_per_s, static_cast<unsigned long long>(f.skipped),
                static_cast<unsigned long long>(f.lost));
  std::string out = buf;
  if (f.received.have || f.decoded.have || f.presented.have) {
    out += ", latency from capture p50/p99:";
    append(out, "received", f.received);
    append(out, "decoded", f.decoded);
    append(out, "presented", f.presented);
  }
  if (f.decode.have) {
    std::snprintf(buf, sizeof buf, ", decode %.1f/%.1f ms", f.decode.p50_ms, f.decode.p99_ms);
    out += buf;
  }
  return out;
}

}  // namespace camstream
