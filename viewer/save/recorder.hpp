// recorder.hpp - the stream's JPEGs, as they arrived, into Matroska or AVI through libavformat.
#pragma once

#include <cstdint>
#include <span>
#include <string>

struct AVFormatContext;
struct AVPacket;

namespace camstream {

// One recording: open(), write() per frame, close(). No re-encoding: each JPEG becomes one
// MJPEG packet. Times are microseconds on one monotonic clock; the first frame is time 0, so a
// player runs at the pace the frames were captured, gaps (a reconnect) included.
//
// Matroska keeps each time to the millisecond. Every frame is flushed to the file as a cluster
// of its own, so a recording cut off by a crash, a kill or a full disk still plays up to its
// last complete frame (only the index and the duration, written by close(), are missing). AVI
// has a fixed frame rate: times are rounded to `fps` and a frame falling on a slot already used
// takes the next one; a cut-off AVI lacks its index, which ffmpeg rebuilds by scanning.
//
// Main thread only. Not copyable; the destructor closes.
class Recorder {
 public:
  Recorder();
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Creates `path` (its extension says the container: .mkv or .avi) for frames of
  // width×height at about `fps`. False with a sentence in `error`.
  bool open(const std::string& path, int width, int height, double fps, std::string& error);
  // Appends one JPEG captured at `time_us`. False with a sentence in `error` when the file
  // cannot take it (a full disk): the recording is then closed, complete up to the frame
  // before.
  bool write(std::span<const std::uint8_t> jpeg, std::uint64_t time_us, std::string& error);
  // Writes the index and the duration and closes the file; safe to repeat.
  void close();

  bool is_open() const { return ctx_ != nullptr; }
  const std::string& path() const { return path_; }
  std::uint64_t frames() const { return frames_; }

 private:
  void free_context();

  AVFormatContext* ctx_ = nullptr;
  AVPacket* packet_ = nullptr;
  std::string path_;
  bool avi_ = false;
  int fps_ = 30;
  std::uint64_t first_us_ = 0;
  std::int64_t last_pts_ = -1;
  std::int64_t last_interval_ = 0;  // in the stream's time base: the next frame's duration
  std::uint64_t frames_ = 0;
};

}  // namespace camstream
