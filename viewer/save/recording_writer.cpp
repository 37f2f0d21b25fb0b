// recording_writer.cpp - the queue between the main thread and the Recorder's thread.
#include "viewer/save/recording_writer.hpp"

#include "viewer/save/recorder.hpp"

namespace camstream {

RecordingWriter::~RecordingWriter() {
  finish();
}

void RecordingWriter::open(std::string path, int width, int height, double fps) {
  if (!thread_.joinable()) {
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
  }
  active_ = true;
  Job job;
  job.kind = Job::Kind::kOpen;
  job.path = std::move(path);
  job.width = width;
  job.height = height;
  job.fps = fps;
  push(std::move(job));
}

void RecordingWriter::write(std::span<const std::uint8_t> jpeg, std::uint64_t time_us) {
  if (!active_) return;
  {
    std::lock_guard lock(mutex_);
    if (queued_frames_ >= kMaxQueued) {
      ++dropped_;
      return;
    }
    ++queued_frames_;
  }
  Job job;
  job.kind = Job::Kind::kFrame;
  job.jpeg.assign(jpeg.begin(), jpeg.end());
  job.time_us = time_us;
  push(std::move(job));
}

void RecordingWriter::close() {
  if (!active_) return;
  active_ = false;
  push(Job{});  // a Job is a close unless told otherwise
}

void RecordingWriter::finish() {
  close();
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_one();
  thread_.join();
}

std::vector<std::pair<std::string, bool>> RecordingWriter::take_messages() {
  std::vector<std::pair<std::string, bool>> out;
  {
    std::lock_guard lock(mutex_);
    out.swap(messages_);
  }
  for (const auto& [text, error] : out)
    if (error) active_ = false;
  return out;
}

void RecordingWriter::push(Job job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  ready_.notify_one();
}

void RecordingWriter::tell(std::string text, bool error) {
  std::lock_guard lock(mutex_);
  messages_.emplace_back(std::move(text), error);
}

void RecordingWriter::run() {
  Recorder recorder;
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return !jobs_.empty() || stopping_; });
      // Stopping still writes what was queued before it: finish() promises a complete file.
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
      if (job.kind == Job::Kind::kFrame) --queued_frames_;
    }
    std::string error;
    switch (job.kind) {
      case Job::Kind::kOpen:
        recorder.close();
        frames_ = 0;
        {
          std::lock_guard lock(mutex_);
          dropped_ = 0;
        }
        if (!recorder.open(job.path, job.width, job.height, job.fps, error)) tell(error, true);
        break;
      case Job::Kind::kFrame:
        // Frames after a failure find the recorder closed and are let go.
        if (!recorder.is_open()) break;
        if (!recorder.write(job.jpeg, job.time_us, error)) {
          tell(error, true);
        } else {
          frames_ = recorder.frames();
        }
        break;
      case Job::Kind::kClose:
        if (recorder.is_open()) {
          std::string text =
              "recorded " + std::to_string(recorder.frames()) + " frames into " + recorder.path();
          {
            std::lock_guard lock(mutex_);
            if (dropped_ > 0) {
              text += " (" + std::to_string(dropped_) +
                      " frames left out: the disk was slower than the stream)";
            }
          }
          recorder.close();
          tell(std::move(text), false);
        }
        break;
    }
  }
}

}  // namespace camstream
