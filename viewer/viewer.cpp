// viewer.cpp - decode and check each frame, keep the figures, start and stop the connection.
#include "viewer/viewer.hpp"

#include <cstdio>

#include "shared/clock.hpp"
#include "shared/log.hpp"
#include "shared/seqcode.hpp"

namespace camstream {

std::string source_name(const ViewerOptions& opt) {
  return opt.url ? to_string(*opt.url) : to_string(opt.target);
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
}

std::optional<ReceivedFrame> Viewer::take() {
  return feed_.poll(monotonic_us());
}

Viewer::Outcome Viewer::consume(ReceivedFrame frame) {
  const std::uint64_t decode_start_us = monotonic_us();
  if (!decoder_.decode(frame)) {
    log::warn("skipping frame " + std::to_string(frame.header.seq) + ": cannot decode its JPEG (" +
              decoder_.error() + ")");
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
  ++decoded_;
  return enough() ? Outcome::kShowAndStop : Outcome::kShow;
}

void Viewer::presented() {
  stats_.presented(since_capture(monotonic_us()));
}

std::optional<WindowFigures> Viewer::tick() {
  const std::uint64_t now = monotonic_us();
  if (now - last_roll_us_ < 1000000) return std::nullopt;
  last_roll_us_ = now;
  WindowFigures f = stats_.roll(now, feed_.bytes_received(), feed_.skipped(), feed_.frames_lost());
  if (opt_.print_fps) {
    std::printf("%s%s\n", opt_.label.c_str(), ViewerStats::format(f).c_str());
    std::fflush(stdout);
  }
  fps_ = f.fps;
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
