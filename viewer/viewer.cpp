// viewer.cpp - decode and check each frame, keep the figures, start and stop the connection.
#include "viewer/viewer.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "shared/clock.hpp"
#include "shared/log.hpp"
#include "shared/seqcode.hpp"
#include "viewer/save/snapshot.hpp"

namespace camstream {
namespace {

// A time on this machine's monotonic clock as wall-clock microseconds, for file names.
std::int64_t wall_us_of(std::uint64_t monotonic) {
  const auto wall = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  return wall - (static_cast<std::int64_t>(monotonic_us()) - static_cast<std::int64_t>(monotonic));
}

std::string format(const char* fmt, double a, double b = 0) {
  char buf[96];
  std::snprintf(buf, sizeof buf, fmt, a, b);
  return buf;
}

}  // namespace

std::string source_name(const ViewerOptions& opt) {
  if (opt.url) return to_string(*opt.url);
  return (opt.tls ? "camstreams://" : "") + to_string(opt.target);
}

bool set_target(std::string_view target, ViewerOptions& camera, std::string& error) {
  std::string why;
  // Appended piece by piece: "literal" + std::string trips GCC 12's -Wrestrict at -O3.
  std::string quoted(1, '\'');
  quoted += target;
  quoted += "': ";
  if (is_camstreams_url(target)) {
    const auto parsed = parse_camstreams_url(target, why);
    if (!parsed) {
      error = "bad address " + quoted + why + "; e.g. camstreams://raspberrypi.local:8080";
      return false;
    }
    camera.target = *parsed;
    camera.tls = true;
  } else if (looks_like_url(target)) {
    camera.url = parse_http_url(target, why);
    if (!camera.url) {
      error = "bad URL " + quoted + why + "; e.g. http://raspberrypi.local:8080/stream";
      return false;
    }
    camera.target = camera.url->server;
    camera.url->tls = camera.url->tls || camera.tls;
    camera.tls = camera.url->tls;
  } else {
    const auto parsed = parse_target(target, why);
    if (!parsed) {
      error = "bad address " + quoted + why + "; give HOST[:PORT], e.g. raspberrypi.local:8080";
      return false;
    }
    camera.target = *parsed;
  }
  return true;
}

Viewer::Viewer(ViewerOptions opt, Feed::MakeLink make)
    : opt_(std::move(opt)),
      feed_(source_name(opt_), std::move(make), opt_.reconnect),
      stats_(monotonic_us()),
      last_roll_us_(monotonic_us()) {}

Viewer::~Viewer() {
  stop();
}

void Viewer::start() {
  feed_.start(monotonic_us());
}

void Viewer::stop() {
  feed_.stop();
  recorder_.finish();
  hear_recorder();
}

std::optional<ReceivedFrame> Viewer::take() {
  return feed_.poll(monotonic_us());
}

Viewer::Outcome Viewer::consume(ReceivedFrame frame) {
  const std::uint64_t decode_start_us = monotonic_us();
  have_picture_ = false;
  if (!decoder_.decode(frame)) {
    log::warn("skipping frame " + std::to_string(frame.header.seq) + ": " + decoder_.error());
    return Outcome::kSkip;
  }
  const std::uint64_t decoded_us = monotonic_us();
  std::int64_t offset = 0;
  // Capture time on the viewer's clock; unknown (-1) until the first pong.
  capture_local_us_ = -1;
  if (feed_.clock_offset(offset))
    capture_local_us_ = static_cast<std::int64_t>(frame.header.capture_us) - offset;
  stats_.frame(since_capture(frame.received_us), since_capture(decoded_us),
               static_cast<std::int64_t>(decoded_us - decode_start_us));
  const Yuv420Image& img = decoder_.image();
  width_ = img.width();
  height_ = img.height();
  if (opt_.check_pattern) check(frame.header.seq, img);
  have_picture_ = true;
  // Capture time on this clock when the offset is known; else arrival, which is close.
  last_time_us_ =
      capture_local_us_ >= 0 ? static_cast<std::uint64_t>(capture_local_us_) : frame.received_us;
  if (!opt_.record.empty() && !record_flag_used_) {
    record_flag_used_ = true;
    record_pending_ = opt_.record;
  }
  if (recording()) record(frame, last_time_us_);
  last_ = std::move(frame);
  ++decoded_;
  return enough() ? Outcome::kShowAndStop : Outcome::kShow;
}

void Viewer::presented() {
  stats_.presented(since_capture(monotonic_us()));
}

std::optional<WindowFigures> Viewer::tick() {
  hear_recorder();
  const std::uint64_t now = monotonic_us();
  if (now - last_roll_us_ < 1000000) return std::nullopt;
  last_roll_us_ = now;
  WindowFigures f = stats_.roll(now, feed_.bytes_received(), feed_.skipped(), feed_.frames_lost());
  if (opt_.print_fps) {
    std::printf("%s%s\n", opt_.label.c_str(), ViewerStats::format(f).c_str());
    std::fflush(stdout);
  }
  fps_ = f.fps;
  figures_ = f;
  return f;
}

std::string Viewer::title() const {
  std::string out = "camview - " + source_name(opt_);
  if (width_ > 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " - %dx%d - %.1f fps", width_, height_, fps_);
    out += buf;
  }
  return out + " - " + to_string(feed_.state());
}

std::vector<std::string> Viewer::overlay_lines() const {
  std::vector<std::string> lines;
  lines.push_back(source_name(opt_) + "  " + to_string(feed_.state()));
  if (width_ > 0) {
    std::string l = std::to_string(width_) + "x" + std::to_string(height_);
    if (figures_) l += format("  %.1f fps  %.0f kbit/s", figures_->fps, figures_->kbit_per_s);
    lines.push_back(l);
  }
  if (figures_) {
    const LatencyFigures& lat = figures_->presented.have ? figures_->presented : figures_->decoded;
    lines.push_back(lat.have ? format("latency p50/p99 %.1f/%.1f ms", lat.p50_ms, lat.p99_ms)
                             : std::string("latency unknown (no clock exchange)"));
    lines.push_back("skipped " + std::to_string(figures_->skipped) + "  lost " +
                    std::to_string(figures_->lost) + "  reconnects " +
                    std::to_string(feed_.reconnects()));
  }
  if (recorder_.active()) {
    lines.push_back("recording " + std::to_string(recorder_.frames()) +
                    " frames: " + recording_path_);
  }
  return lines;
}

std::string Viewer::banner(std::uint64_t now_us) const {
  switch (feed_.state()) {
    case FeedState::kLive:
      return {};
    case FeedState::kConnecting:
      return "connecting to " + source_name(opt_) + "…";
    case FeedState::kStalled:
      return format("stalled: no frame for %.0f s",
                    static_cast<double>(now_us - feed_.last_frame_us()) / 1e6);
    case FeedState::kReconnecting:
      return "reconnecting… " + feed_.reason();
    case FeedState::kEnded:
      return feed_.failed() ? feed_.reason() : std::string("stream ended");
  }
  return {};
}

void Viewer::snapshot() {
  if (!have_picture_) return say("no picture to save yet", true);
  std::string error;
  const auto path = save_new_file(
      snapshot_dir(), snapshot_name(source_name(opt_), wall_us_of(last_time_us_), last_.header.seq),
      last_.jpeg(), error);
  if (!path) return say(error, true);
  say("saved " + *path, false);
}

void Viewer::toggle_recording() {
  if (recording()) {
    recorder_.close();
    record_pending_.clear();
    return;
  }
  if (!opt_.record.empty() && !record_flag_used_) {
    record_flag_used_ = true;
    record_pending_ = opt_.record;
  } else {
    record_pending_ =
        snapshot_dir() + "/" + capture_stem(source_name(opt_), wall_us_of(monotonic_us())) + ".mkv";
  }
  say("recording into " + record_pending_, false);
}

void Viewer::record(const ReceivedFrame& frame, std::uint64_t time_us) {
  if (!record_pending_.empty()) {
    recording_path_ = std::move(record_pending_);
    record_pending_.clear();
    if (const auto slash = recording_path_.rfind('/'); slash != std::string::npos && slash > 0) {
      // The folder of a generated name may not exist yet (a fresh Pictures folder).
      std::error_code ignored;
      std::filesystem::create_directories(recording_path_.substr(0, slash), ignored);
    }
    recorder_.open(recording_path_, width_, height_, fps_ > 0 ? fps_ : 30);
  }
  recorder_.write(frame.jpeg(), time_us);
}

void Viewer::hear_recorder() {
  for (auto& [text, error] : recorder_.take_messages())
    say(std::move(text), error);
}

void Viewer::say(std::string text, bool error) {
  if (error) {
    log::error(text);
  } else {
    log::info(text);
  }
  notice_ = Notice{std::move(text), error, monotonic_us()};
}

std::string Viewer::snapshot_dir() const {
  return opt_.snapshot_dir.empty() ? default_snapshot_dir() : opt_.snapshot_dir;
}

int Viewer::exit_code(bool enough, bool interrupted) const {
  if (pattern_errors_ > 0) {
    log::error(std::to_string(pattern_errors_) + " of " + std::to_string(decoded_) +
               " frames failed the pattern check");
    return kExitPattern;
  }
  if (enough || interrupted) return kExitOk;
  return feed_.failed() ? kExitStream : kExitOk;
}

void Viewer::check(std::uint64_t seq, const Yuv420Image& img) {
  const auto read = seqcode::read(img.y(), img.y_stride(), img.width(), img.height());
  const auto expected = static_cast<std::uint32_t>(seq);
  if (read) {
    std::printf("%sframe seq=%llu pixel_seq=%u\n", opt_.label.c_str(),
                static_cast<unsigned long long>(seq), *read);
  } else {
    std::printf("%sframe seq=%llu pixel_seq=none\n", opt_.label.c_str(),
                static_cast<unsigned long long>(seq));
  }
  std::fflush(stdout);
  if (!read || *read != expected) {
    ++pattern_errors_;
    log::error(
        "frame " + std::to_string(seq) + ": the picture carries " +
        (read ? "sequence number " + std::to_string(*read) : std::string("no readable code")) +
        "; the stream is not the test pattern or the frame is damaged");
  }
}

std::int64_t Viewer::since_capture(std::uint64_t local_us) const {
  return capture_local_us_ < 0 ? -1 : static_cast<std::int64_t>(local_us) - capture_local_us_;
}

}  // namespace camstream
