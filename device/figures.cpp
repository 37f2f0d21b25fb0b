// figures.cpp - the --stats log line and rate measurement.
#include "device/figures.hpp"

#include <cstdio>

namespace camstream {

std::string figures_log_line(const Figures& now, const Figures& previous) {
  using ull = unsigned long long;
  const PipelineFigures& p = now.pipeline;
  const ServerFigures& s = now.server;
  const double avg_encode_ms =
      p.encoded ? static_cast<double>(p.encode_us_total) / 1000.0 / static_cast<double>(p.encoded)
                : 0;
  const auto q = p.queue.since(previous.pipeline.queue);
  const auto e = p.encode.since(previous.pipeline.encode);
  const auto w = s.send.since(previous.server.send);
  const DefenceFigures& d = s.defences;
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "captured %llu, dropped %llu (encoders busy %llu), over the frame rate %llu, "
                "encoded %llu (%.2f ms each), failed %llu, late %llu; clients %llu, frames sent "
                "%llu, skipped %llu, connections refused %llu; stage times p50/p99: queue "
                "%.2f/%.2f ms, encode %.2f/%.2f ms, send %.2f/%.2f ms (%llu writes); "
                "handshakes %llu (dropped %llu), over the address limit %llu, over the client "
                "limit %llu, shed %llu, accept failures %llu, stalled %llu, log lines held back "
                "%llu",
                ull{p.captured}, ull{p.dropped}, ull{p.encoders_busy}, ull{p.over_rate},
                ull{p.encoded}, avg_encode_ms, ull{p.encode_failed}, ull{p.late},
                ull{s.connections}, ull{s.frames_sent}, ull{s.frames_skipped}, ull{s.refused},
                q.percentile_ms(0.5), q.percentile_ms(0.99), e.percentile_ms(0.5),
                e.percentile_ms(0.99), w.percentile_ms(0.5), w.percentile_ms(0.99), ull{w.count},
                ull{s.handshakes}, ull{d.handshakes_dropped}, ull{d.over_address_limit},
                ull{d.over_client_limit}, ull{d.shed}, ull{d.accept_failures}, ull{d.stalled},
                ull{d.log_lines_held_back});
  return buf;
}

RateMeter::RateMeter(std::uint64_t now_us, std::uint64_t total)
    : start_us_(now_us), start_total_(total) {}

void RateMeter::update(std::uint64_t now_us, std::uint64_t total) {
  if (now_us < start_us_ + kWindowUs) return;
  last_rate_ = rate(now_us, total);
  have_last_ = true;
  start_us_ = now_us;
  start_total_ = total;
}

double RateMeter::rate(std::uint64_t now_us, std::uint64_t total) const {
  const std::uint64_t elapsed = now_us > start_us_ ? now_us - start_us_ : 0;
  if ((elapsed >= kWindowUs || !have_last_) && elapsed > 0 && total >= start_total_) {
    return static_cast<double>(total - start_total_) * 1e6 / static_cast<double>(elapsed);
  }
  return have_last_ ? last_rate_ : 0.0;
}

}  // namespace camstream
