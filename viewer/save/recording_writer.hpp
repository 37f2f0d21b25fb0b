// recording_writer.hpp - a Recorder on a thread of its own, so that a slow or full disk never
// holds up the window.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace camstream {

// Every call comes from the main thread; the files are written on the writer's thread, which
// starts with the first open() and ends with finish() (the destructor calls it).
class RecordingWriter {
 public:
  // Frames waiting for the disk; more are dropped and counted, so memory stays bounded when
  // the disk is slower than the stream (about 2 s at 30 fps).
  static constexpr std::size_t kMaxQueued = 64;

  RecordingWriter() = default;
  ~RecordingWriter();
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;

  // Starts a recording into `path` (see Recorder::open); the frames written until close() go
  // into it. Whether it opened comes back through take_messages().
  void open(std::string path, int width, int height, double fps);
  // Queues a copy of `jpeg` captured at `time_us` for the open recording.
  void write(std::span<const std::uint8_t> jpeg, std::uint64_t time_us);
  // Ends the recording once the frames queued before are written.
  void close();
  // Writes what is queued, closes, and stops the thread; safe to repeat.
  void finish();

  // A recording is open or opening, as far as the main thread has heard: open() starts it,
  // close() or an error taken from take_messages() ends it.
  bool active() const { return active_; }
  // Frames in the current (or last) recording's file.
  std::uint64_t frames() const { return frames_.load(std::memory_order_relaxed); }
  // What the user should read since the last call, oldest first: (sentence, is it an error).
  // An error means the recording has ended; the file plays up to the frame before.
  std::vector<std::pair<std::string, bool>> take_messages();

 private:
  struct Job {
    enum class Kind { kOpen, kFrame, kClose };
    Kind kind = Kind::kClose;
    std::string path;  // kOpen
    int width = 0;
    int height = 0;
    double fps = 0;
    std::vector<std::uint8_t> jpeg;  // kFrame
    std::uint64_t time_us = 0;
  };
  void push(Job job);
  void run();
  void tell(std::string text, bool error);

  bool active_ = false;
  std::atomic<std::uint64_t> frames_{0};
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job> jobs_;
  std::size_t queued_frames_ = 0;
  std::uint64_t dropped_ = 0;  // frames refused by a full queue, this recording
  bool stopping_ = false;
  std::vector<std::pair<std::string, bool>> messages_;
  std::thread thread_;
};

}  // namespace camstream
