// http_stats.hpp - the figures /status, /metrics and the HTML page report, and who supplies them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shared/clock.hpp"

namespace camstream {

// The capture and encode side, as far as a client may see it. Counters only grow.
struct PipelineStats {
  std::string source;  // what the source says it is, e.g. "test pattern 1280x720"
  int width = 0;
  int height = 0;
  double target_fps = 0;  // 0 = as fast as the encoders go
  int quality = 0;
  int workers = 0;
  std::uint64_t captured = 0;
  std::uint64_t dropped = 0;    // not encoded: every encoder busy, or no free buffer
  std::uint64_t over_rate = 0;  // delivered by the camera beyond --fps, let go before encoding
  std::uint64_t encoded = 0;
  std::uint64_t encode_failed = 0;
  std::uint64_t late = 0;  // encoded, but a newer frame was already published
  std::uint64_t encode_us_total = 0;
  // How long each stage took, over the whole run (device/encode/stage_times.hpp): queue is
  // the hand-over to an encoder until a worker starts on the frame; send is a native frame
  // write's start to its completion, per client.
  struct Stage {
    std::uint64_t count = 0;
    double total_s = 0;
    double p50_ms = 0;
    double p99_ms = 0;
  };
  Stage queue, encode, send;
};

// Read-only view of the pipeline for the server. camstreamd's main() supplies one; the
// server works without (its figures then leave the pipeline out). pipeline() is called on the
// server's event loop for each /status or /metrics request and must not block for long.
class StatsProvider {
 public:
  virtual ~StatsProvider() = default;
  virtual PipelineStats pipeline() const = 0;
};

// Events per second from a growing counter, measured over windows of about a second without
// a timer: update() closes a window once it is a second old, rate() reports the last closed
// window, or the open one when that is already older (so a stalled stream reads as slow).
class RateMeter {
 public:
  explicit RateMeter(std::uint64_t now_us = 0, std::uint64_t total = 0);
  void update(std::uint64_t now_us, std::uint64_t total);
  double rate(std::uint64_t now_us, std::uint64_t total) const;

 private:
  static constexpr std::uint64_t kWindowUs = 1000000;
  std::uint64_t start_us_;
  std::uint64_t start_total_;
  double last_rate_ = 0;
  bool have_last_ = false;
};

// The server-wide part behind the figures: what main() provides, when the server started and
// the rates measured since. Kept by the server, used on its event loop.
struct ServerFiguresState {
  const StatsProvider* provider = nullptr;
  std::uint64_t started_us = monotonic_us();
  RateMeter captured{started_us, 0};
  RateMeter sent{started_us, 0};
};

// One client that is being sent frames, native or HTTP.
struct ClientFigures {
  std::string peer;
  std::string kind;  // "native" or "http"
  double connected_s = 0;
  double fps = 0;
  std::uint64_t sent = 0;
  std::uint64_t skipped = 0;
};

struct StatusFigures {
  bool have_pipeline = false;
  PipelineStats pipeline;
  double captured_fps = 0;
  double sent_fps = 0;  // over all clients
  double uptime_s = 0;
  std::uint64_t frames_sent = 0;
  std::uint64_t frames_skipped = 0;
  std::uint64_t connections = 0;  // open connections of any kind
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;
  std::vector<ClientFigures> clients;  // those receiving a stream
};

// /status: one JSON object (documented in docs/http.md).
std::string status_json(const StatusFigures& f);
// /metrics: Prometheus text exposition format 0.0.4.
std::string metrics_text(const StatusFigures& f);
// /: the viewer page; it shows /stream and polls /status for its figures.
std::string index_html(const StatusFigures& f);

}  // namespace camstream
