// camera_source.cpp - the capture thread: completions, re-queues, failures, reopening, no-signal.
#include "device/capture/camera_source.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <vector>

#include "device/capture/camera_buffers.hpp"
#include "device/capture/no_signal.hpp"
#include "shared/clock.hpp"
#include "shared/log.hpp"

namespace camstream {

// Everything that reaches the capture thread from elsewhere: completions and disconnects from
// the camera's thread, released frames from the encoders. Shared with those, so a late frame
// or callback never touches a source that is gone.
struct CameraSource::Events {
  struct Event {
    enum class Kind { kCompleted, kReleased, kDisconnected } kind;
    std::uint64_t generation;
    CameraCompletion completion;
  };
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Event> queue;
  bool stopping = false;

  void push(const Event& e) {
    {
      std::lock_guard lock(mutex);
      queue.push_back(e);
    }
    wake.notify_one();
  }
};

// One open-to-stop run of the camera. Frames hold it, so the buffers stay mapped until the
// last frame that points into them is released, even after the camera stopped.
struct CameraSource::Session {
  CameraStream stream;
  CameraBuffers buffers;
  // NV12 only: per buffer, U then V split out of the interleaved chroma.
  std::vector<std::vector<std::uint8_t>> chroma;
};

CameraSource::CameraSource(std::unique_ptr<CameraDevice> device, CameraSourceOptions options)
    : device_(std::move(device)),
      options_(std::move(options)),
      events_(std::make_shared<Events>()),
      rate_limit_(options_.settings.fps),
      description_("camera (not open)"),
      width_(options_.settings.width),
      height_(options_.settings.height) {}

CameraSource::~CameraSource() {
  stop();
  if (session_) close_session({});
}

bool CameraSource::open(std::string& error) {
  return open_session(error);
}

bool CameraSource::open_session(std::string& error) {
  if (!device_->open(error)) return false;
  auto session = std::make_shared<Session>();
  if (!device_->configure(options_.settings, session->stream, error) ||
      !session->buffers.map(session->stream, error)) {
    device_->stop();
    return false;
  }
  const CameraStream& s = session->stream;
  if (s.layout == PixelLayout::kNv12) {
    const std::size_t plane = static_cast<std::size_t>(chroma_width(s.width)) *
                              static_cast<std::size_t>(chroma_height(s.height));
    session->chroma.assign(s.buffers.size(), std::vector<std::uint8_t>(2 * plane));
  }
  const std::uint64_t generation = ++generation_;
  std::weak_ptr<Events> events = events_;
  auto completed = [events, generation](const CameraCompletion& c) {
    if (auto e = events.lock()) e->push({Events::Event::Kind::kCompleted, generation, c});
  };
  auto disconnected = [events, generation] {
    if (auto e = events.lock()) e->push({Events::Event::Kind::kDisconnected, generation, {}});
  };
  if (!device_->start(completed, disconnected, error)) {
    device_->stop();
    return false;
  }
  for (std::size_t i = 0; i < s.buffers.size(); ++i) {
    if (!device_->queue(static_cast<int>(i))) {
      error = "the camera refused its own buffers when starting; is another program using it?";
      device_->stop();
      return false;
    }
  }
  session_ = std::move(session);
  rate_limit_.reset();
  failed_in_a_row_ = 0;
  last_completion_ = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(info_mutex_);
    description_ = s.description;
    width_ = s.width;
    height_ = s.height;
  }
  signal_ = true;
  opened_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void CameraSource::close_session(const std::string& why) {
  if (!why.empty()) {
    lost_.fetch_add(1, std::memory_order_relaxed);
    char every[32];
    std::snprintf(every, sizeof every, "%.3g",
                  static_cast<double>(options_.reopen_interval.count()) / 1000.0);
    log::warn("camera lost: " + why +
              "; serving a no-signal picture and trying to reopen it every " + every + " s");
  }
  signal_ = false;
  device_->stop();
  session_.reset();
  ++generation_;  // whatever the old session still sends is stale now
  // The no-signal picture goes out at once; the camera gets a moment before it is reopened.
  next_no_signal_ = std::chrono::steady_clock::now();
  next_reopen_ = next_no_signal_ + options_.reopen_interval;
}

void CameraSource::start(FrameSink& sink) {
  {
    std::lock_guard lock(events_->mutex);
    events_->stopping = false;
  }
  thread_ = std::thread([this, &sink] { run(sink); });
}

void CameraSource::stop() {
  {
    std::lock_guard lock(events_->mutex);
    events_->stopping = true;
  }
  events_->wake.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string CameraSource::describe() const {
  std::lock_guard lock(info_mutex_);
  return description_;
}

int CameraSource::width() const {
  std::lock_guard lock(info_mutex_);
  return width_;
}

int CameraSource::height() const {
  std::lock_guard lock(info_mutex_);
  return height_;
}

SourceMode CameraSource::mode() const {
  const CaptureSettings& c = options_.settings;
  return SourceMode{c.width, c.height, c.fps, c.hflip, c.vflip, c.rotate};
}

bool CameraSource::set_mode(const SourceMode& /*mode*/, std::string& error) {
  error = "changing a camera's mode while it runs is not built yet";
  return false;
}

SourceStats CameraSource::stats() const {
  return SourceStats{captured_.load(), dropped_.load(), over_rate_.load()};
}

CameraSourceStats CameraSource::camera_stats() const {
  return CameraSourceStats{signal_.load(), opened_.load(), lost_.load(), no_signal_.load()};
}

void CameraSource::run(FrameSink& sink) {
  using Clock = std::chrono::steady_clock;
  const auto no_signal_period = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(1.0 / std::max(0.1, options_.no_signal_fps)));
  next_no_signal_ = Clock::now();
  next_reopen_ = Clock::now();
  bool reported_reopen_error = false;

  for (;;) {
    std::deque<Events::Event> batch;
    {
      std::unique_lock lock(events_->mutex);
      const auto deadline = session_ ? last_completion_ + options_.stall_timeout
                                     : std::min(next_no_signal_, next_reopen_);
      events_->wake.wait_until(lock, deadline,
                               [this] { return events_->stopping || !events_->queue.empty(); });
      if (events_->stopping) break;
      batch.swap(events_->queue);
    }

    for (const Events::Event& e : batch) {
      if (!session_ || e.generation != generation_) continue;  // an older session's leftovers
      switch (e.kind) {
        case Events::Event::Kind::kCompleted:
          on_completed(sink, e.completion);
          break;
        case Events::Event::Kind::kReleased:
          if (!device_->queue(e.completion.buffer))
            close_session("the camera stopped taking buffers");
          break;
        case Events::Event::Kind::kDisconnected:
          close_session("the camera was disconnected");
          break;
      }
    }

    const auto now = Clock::now();
    if (session_ && now - last_completion_ >= options_.stall_timeout) {
      close_session("no frame from the camera for " +
                    std::to_string(options_.stall_timeout.count()) + " ms");
    }
    if (session_) continue;
    if (now >= next_reopen_) {
      std::string error;
      if (open_session(error)) {
        log::info((opened_.load() > 1 ? "camera back: " : "camera open: ") + describe());
        reported_reopen_error = false;
        continue;
      }
      // Said once per loss, so a camera that stays away does not flood the log.
      if (!reported_reopen_error) log::info("camera not there yet: " + error);
      reported_reopen_error = true;
      next_reopen_ = Clock::now() + options_.reopen_interval;
    }
    if (next_no_signal_ < now - options_.reopen_interval) next_no_signal_ = now;
    if (now >= next_no_signal_) {
      offer_no_signal(sink);
      next_no_signal_ += no_signal_period;
    }
  }
  if (session_) close_session({});
}

void CameraSource::on_completed(FrameSink& sink, const CameraCompletion& c) {
  const CameraStream& s = session_->stream;
  if (c.buffer < 0 || static_cast<std::size_t>(c.buffer) >= s.buffers.size()) return;
  last_completion_ = std::chrono::steady_clock::now();
  if (!c.ok) {
    if (++failed_in_a_row_ >= options_.max_failed_in_a_row) {
      close_session(std::to_string(failed_in_a_row_) + " captures failed in a row");
    } else if (!device_->queue(c.buffer)) {
      close_session("the camera stopped taking buffers");
    }
    return;
  }
  failed_in_a_row_ = 0;
  const std::uint64_t capture_us = c.timestamp_ns ? c.timestamp_ns / 1000 : monotonic_us();
  // A camera faster than --fps (one that ignores FrameDurationLimits) is held to it here,
  // watched or not, so the cadence stays even when a client arrives; an unwanted frame then
  // goes back to the camera as below.
  const bool in_rate = rate_limit_.admit(capture_us);
  if (!in_rate) over_rate_.fetch_add(1, std::memory_order_relaxed);
  if (!in_rate || (demand_ != nullptr && !demand_->try_acquire())) {
    if (!device_->queue(c.buffer)) close_session("the camera stopped taking buffers");
    return;
  }
  const CameraBuffers::Planes& p = session_->buffers.planes(static_cast<std::size_t>(c.buffer));
  Yuv420View view{p.y, p.u, p.v, s.stride, s.stride / 2, s.width, s.height};
  if (s.layout == PixelLayout::kNv12) {
    // TurboJPEG takes separate U and V planes only: split the chroma (a third of the frame)
    // into this buffer's scratch; the luma is still read in place.
    std::vector<std::uint8_t>& scratch = session_->chroma[static_cast<std::size_t>(c.buffer)];
    const int cw = chroma_width(s.width);
    std::uint8_t* u = scratch.data();
    std::uint8_t* v = u + scratch.size() / 2;
    split_chroma(p.u, s.stride, cw, chroma_height(s.height), u, v);
    view.u = u;
    view.v = v;
    view.uv_stride = cw;
  }
  captured_.fetch_add(1, std::memory_order_relaxed);
  auto raw = std::make_unique<RawFrame>(RawFrame{seq_++, capture_us, view});
  // The deleter runs wherever the last holder lets go (an encoder thread, or offer() itself
  // when refused) and hands the buffer back through the event queue.
  RawFramePtr frame(raw.release(), [events = events_, session = session_, gen = generation_,
                                    buffer = c.buffer](const RawFrame* f) {
    delete f;
    CameraCompletion released;
    released.buffer = buffer;
    events->push({Events::Event::Kind::kReleased, gen, released});
  });
  offer(sink, std::move(frame));
}

void CameraSource::offer(FrameSink& sink, RawFramePtr frame) {
  if (sink.offer(std::move(frame))) return;
  dropped_.fetch_add(1, std::memory_order_relaxed);
  // A snapshot's request goes back, so the next frame serves it.
  if (demand_ != nullptr) demand_->release_request();
}

void CameraSource::offer_no_signal(FrameSink& sink) {
  if (demand_ != nullptr && !demand_->try_acquire()) return;
  const int w = width(), h = height();
  std::unique_ptr<Yuv420Image> image = no_signal_pool_.take(w, h);
  if (!image) {
    image = std::make_unique<Yuv420Image>(w, h);
    render_no_signal(*image);
  }
  captured_.fetch_add(1, std::memory_order_relaxed);
  no_signal_.fetch_add(1, std::memory_order_relaxed);
  offer(sink, no_signal_pool_.frame(std::move(image), seq_++, monotonic_us()));
}

}  // namespace camstream
