// recorder.cpp - libavformat muxing of ready JPEGs, flushed frame by frame.
#include "viewer/save/recorder.hpp"

#include <algorithm>
#include <cmath>

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/error.h>
}

namespace camstream {
namespace {

std::string av_error(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

constexpr AVRational kMicroseconds{1, 1'000'000};

}  // namespace

Recorder::Recorder() = default;

Recorder::~Recorder() {
  close();
}

bool Recorder::open(const std::string& path, int width, int height, double fps,
                    std::string& error) {
  close();
  const std::string lower = [&] {
    std::string s = path;
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  }();
  const char* format = lower.ends_with(".mkv")   ? "matroska"
                       : lower.ends_with(".avi") ? "avi"
                                                 : nullptr;
  if (!format) {
    error = "cannot record into " + path + ": name a .mkv (Matroska) or .avi file";
    return false;
  }
  avi_ = std::string_view(format) == "avi";
  fps_ = std::clamp(static_cast<int>(std::lround(fps)), 1, 240);
  int rc = avformat_alloc_output_context2(&ctx_, nullptr, format, path.c_str());
  if (rc < 0 || !ctx_) {
    error = "cannot record into " + path + ": " + av_error(rc);
    ctx_ = nullptr;
    return false;
  }
  AVStream* st = avformat_new_stream(ctx_, nullptr);
  packet_ = av_packet_alloc();
  if (!st || !packet_) {
    error = "cannot record into " + path + ": out of memory";
    free_context();
    return false;
  }
  st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
  st->codecpar->codec_id = AV_CODEC_ID_MJPEG;
  st->codecpar->codec_tag = 0;
  st->codecpar->width = width;
  st->codecpar->height = height;
  st->codecpar->format = AV_PIX_FMT_YUVJ420P;
  st->codecpar->color_range = AVCOL_RANGE_JPEG;
  // Matroska counts in milliseconds whatever is asked; AVI needs one tick per frame.
  st->time_base = avi_ ? AVRational{1, fps_} : AVRational{1, 1000};
  st->avg_frame_rate = AVRational{fps_, 1};
  // Each packet goes to the file at once: what was written survives the process.
  ctx_->flags |= AVFMT_FLAG_FLUSH_PACKETS;
  rc = avio_open(&ctx_->pb, path.c_str(), AVIO_FLAG_WRITE);
  if (rc < 0) {
    error = "cannot record into " + path + ": " + av_error(rc);
    free_context();
    return false;
  }
  rc = avformat_write_header(ctx_, nullptr);
  if (rc < 0) {
    error = "cannot record into " + path + ": " + av_error(rc);
    free_context();
    return false;
  }
  path_ = path;
  frames_ = 0;
  last_pts_ = -1;
  last_interval_ = 0;
  return true;
}

bool Recorder::write(std::span<const std::uint8_t> jpeg, std::uint64_t time_us,
                     std::string& error) {
  if (!ctx_) return false;
  AVStream* st = ctx_->streams[0];
  if (frames_ == 0) first_us_ = time_us;
  const auto since = static_cast<std::int64_t>(time_us >= first_us_ ? time_us - first_us_ : 0);
  std::int64_t pts = av_rescale_q_rnd(since, kMicroseconds, st->time_base,
                                      static_cast<AVRounding>(AV_ROUND_NEAR_INF));
  // Times must rise: a clock estimate that moved back, or two frames in one AVI slot.
  if (pts <= last_pts_) pts = last_pts_ + 1;
  if (last_pts_ >= 0) last_interval_ = pts - last_pts_;
  av_packet_unref(packet_);
  // libavformat only reads the data during av_write_frame, so the frame's buffer serves.
  packet_->data = const_cast<std::uint8_t*>(jpeg.data());
  packet_->size = static_cast<int>(jpeg.size());
  packet_->stream_index = 0;
  packet_->pts = packet_->dts = pts;
  // The last frame lasts as long as the one before it, so the file's duration covers it.
  const std::int64_t nominal = av_rescale_q(1'000'000 / fps_, kMicroseconds, st->time_base);
  packet_->duration = std::max<std::int64_t>(1, last_interval_ > 0 ? last_interval_ : nominal);
  packet_->flags |= AV_PKT_FLAG_KEY;
  int rc = av_write_frame(ctx_, packet_);
  packet_->data = nullptr;
  packet_->size = 0;
  // A null packet ends Matroska's cluster, so the frame reaches the file now, not when the
  // cluster fills (AVI writes each frame at once and ignores it).
  if (rc >= 0) rc = av_write_frame(ctx_, nullptr);
  if (rc >= 0 && ctx_->pb->error < 0) rc = ctx_->pb->error;
  if (rc < 0) {
    error = "recording stopped: cannot write " + path_ + ": " + av_error(rc) + " (" +
            std::to_string(frames_) + " frames kept)";
    // The trailer would fail the same way; the file plays up to the frame before.
    free_context();
    return false;
  }
  last_pts_ = pts;
  ++frames_;
  return true;
}

void Recorder::close() {
  if (!ctx_) return;
  av_write_trailer(ctx_);
  free_context();
}

void Recorder::free_context() {
  if (ctx_) {
    if (ctx_->pb) avio_closep(&ctx_->pb);
    avformat_free_context(ctx_);
    ctx_ = nullptr;
  }
  av_packet_free(&packet_);
}

}  // namespace camstream
