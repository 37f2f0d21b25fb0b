// figures.hpp - the daemon's figures: one snapshot of capture, encoding and serving that the
// --stats log line, HTTP /status and /metrics all report.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "device/encode/stage_times.hpp"

namespace camstream {

// Each stage keeps its own counters (SourceStats, EncoderStats, ServerStats, returned by its
// stats()); Figures is what is reported: those counters gathered at one moment, with the
// settings and rates that give them meaning. Counters only grow.

// Capture and encoding.
struct PipelineFigures {
  std::string source;  // what the source says it is, e.g. "test pattern 1280x720"
  int width =
      0;  // the size streamed once there is a frame, the source's (a camera's choice) before
  int height = 0;
  double target_fps = 0;  // 0 = as fast as the encoders go
  int quality = 0;
  int workers = 0;
  std::uint64_t captured = 0;
  std::uint64_t dropped = 0;        // not encoded: every encoder busy, or no free buffer
  std::uint64_t encoders_busy = 0;  // the part of dropped refused by busy encoders
  std::uint64_t over_rate = 0;      // delivered by the camera beyond --fps, let go at once
  std::uint64_t encoded = 0;
  std::uint64_t encode_failed = 0;
  std::uint64_t late = 0;  // encoded, but a newer frame was already published
  std::uint64_t encode_us_total = 0;
  // Over the whole run (device/encode/stage_times.hpp): queue is the hand-over to an encoder
  // until a worker starts on the frame, encode the compression alone.
  StageTimes::Snapshot queue;
  StageTimes::Snapshot encode;
};

// The server cannot see the pipeline; main() gives it one of these (PipelineReport). Called on
// the server's event loop for each snapshot, so it must not block for long.
class PipelineFiguresSource {
 public:
  virtual ~PipelineFiguresSource() = default;
  virtual PipelineFigures pipeline_figures() const = 0;
};

// One client being sent a stream, native or HTTP.
struct ClientFigures {
  std::string peer;
  std::string kind;  // "native" or "http"
  double connected_s = 0;
  double fps = 0;
  std::uint64_t sent = 0;
  std::uint64_t skipped = 0;
};

// The server's limits as the flags set them: the settings that explain DefenceFigures.
struct LimitFigures {
  int max_clients = 0;
  int max_handshakes = 0;
  int max_per_address = 0;  // 0 = none
  double handshake_timeout_s = 0;
  double write_timeout_s = 0;
};

// What each defence against hostile clients did since the start (docs/security.md, "Staying
// up"). The refusals among them are also counted in ServerFigures::refused.
struct DefenceFigures {
  std::uint64_t handshakes_dropped = 0;  // the oldest handshake, closed for a newcomer
  std::uint64_t over_address_limit = 0;  // refused at accept: the address held its limit
  std::uint64_t over_client_limit = 0;   // refused after saying what they wanted
  std::uint64_t shed = 0;                // taken off the queue and reset, out of descriptors
  std::uint64_t accept_failures = 0;     // accept() failed; each a pause
  std::uint64_t stalled = 0;             // clients cut for taking no byte for the timeout
  std::uint64_t log_lines_held_back = 0;
};

// Connections and what went out on them.
struct ServerFigures {
  std::uint64_t accepted = 0;
  // Closed unserved: spoke no dialect, a bad request or version, silent, over a limit, shed.
  std::uint64_t refused = 0;
  std::uint64_t frames_sent = 0;
  std::uint64_t frames_skipped = 0;  // replaced unsent by a newer frame (a slow client)
  std::uint64_t auth_failures = 0;   // credentials presented that matched nothing
  std::uint64_t connections = 0;     // open now, of any kind
  std::uint64_t handshakes = 0;      // of those, not yet saying what they want
  LimitFigures limits;
  DefenceFigures defences;
  std::vector<ClientFigures> clients;
  // One frame write to one client, native or HTTP, from its start to its completion.
  StageTimes::Snapshot send;
};

struct Figures {
  std::uint64_t taken_us = 0;  // CLOCK_MONOTONIC
  double uptime_s = 0;
  bool have_pipeline = false;  // false for a server without a pipeline (tests)
  PipelineFigures pipeline;
  ServerFigures server;
  double captured_fps = 0;  // recently: over about the last second
  double sent_fps = 0;      // over all clients, recently
};

// The --stats log line: counters since the start, stage times p50/p99 over the interval since
// `previous` (an earlier snapshot, or a default Figures for "since the start").
std::string figures_log_line(const Figures& now, const Figures& previous);

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

}  // namespace camstream
