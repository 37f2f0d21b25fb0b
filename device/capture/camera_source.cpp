// camera_source.cpp - the capture thread: completions, re-queues, failures, reopening, no-signal.
#include "device/capture/camera_source.hpp"

#include <algorithm>
#include <cmath>
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
// the camera's thread, released frames from the encoders, changes from the control API.
// Shared with those, so a late frame or callback never touches a source that is gone.
struct CameraSource::Events {
  struct Event {
    enum class Kind { kCompleted, kReleased, kDisconnected, kMode, kControls, kStill } kind;
    std::uint64_t generation;
    CameraCompletion completion;  // kReleased: `buffer`, or `still_buffer` for a still's
    std::vector<ControlChange> changes = {};
  };
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Event> queue;
  bool stopping = false;

  void push(Event e) {
    {
      std::lock_guard lock(mutex);
      queue.push_back(std::move(e));
    }
    wake.notify_one();
  }
};

// One configured stream's buffers, mapped.
struct CameraSource::Mapped {
  CameraStream stream;
  CameraBuffers buffers;
  // NV12 only: per buffer, U then V split out of the interleaved chroma.
  std::vector<std::vector<std::uint8_t>> chroma;

  bool map(std::string& error) {
    if (!buffers.map(stream, error)) return false;
    if (stream.layout == PixelLayout::kNv12) {
      const std::size_t plane = static_cast<std::size_t>(chroma_width(stream.width)) *
                                static_cast<std::size_t>(chroma_height(stream.height));
      chroma.assign(stream.buffers.size(), std::vector<std::uint8_t>(2 * plane));
    }
    return true;
  }

  Yuv420View view(int buffer) {
    const CameraBuffers::Planes& p = buffers.planes(static_cast<std::size_t>(buffer));
    Yuv420View v{p.y, p.u, p.v, stream.stride, stream.stride / 2, stream.width, stream.height};
    if (stream.layout == PixelLayout::kNv12) {
      // TurboJPEG takes separate U and V planes only: split the chroma (a third of the frame)
      // into this buffer's scratch; the luma is still read in place.
      std::vector<std::uint8_t>& scratch = chroma[static_cast<std::size_t>(buffer)];
      const int cw = chroma_width(stream.width);
      std::uint8_t* u = scratch.data();
      std::uint8_t* vv = u + scratch.size() / 2;
      split_chroma(p.u, stream.stride, cw, chroma_height(stream.height), u, vv);
      v.u = u;
      v.v = vv;
      v.uv_stride = cw;
    }
    return v;
  }
};

// One open-to-stop run of the camera. Frames hold it, so the buffers stay mapped until the
// last frame that points into them is released, even after the camera stopped.
struct CameraSource::Session {
  Mapped video;
  Mapped still;  // no buffers: the camera runs no still stream
  bool has_still() const { return !still.stream.buffers.empty(); }
};

namespace {

bool same_geometry(const CaptureSettings& a, const CaptureSettings& b) {
  return a.width == b.width && a.height == b.height && a.hflip == b.hflip && a.vflip == b.vflip &&
         a.rotate == b.rotate;
}

}  // namespace

CameraSource::CameraSource(std::unique_ptr<CameraDevice> device, CameraSourceOptions options)
    : device_(std::move(device)),
      options_(std::move(options)),
      settings_(options_.settings),
      events_(std::make_shared<Events>()),
      rate_limit_(options_.settings.fps),
      description_("camera (not open)"),
      width_(options_.settings.width),
      height_(options_.settings.height) {
  const CaptureSettings& c = options_.settings;
  mode_ = SourceMode{c.width, c.height, c.fps, c.hflip, c.vflip, c.rotate};
  settings_.still_stream = options_.still_stream;
}

CameraSource::~CameraSource() {
  stop();
  if (session_) close_session({});
}

bool CameraSource::open(std::string& error) {
  return open_current(error);
}

CaptureSettings CameraSource::settings_with_controls(CaptureSettings settings) const {
  std::lock_guard lock(info_mutex_);
  for (const auto& [name, values] : control_values_) {
    std::erase_if(settings.controls, [&name = name](const auto& c) { return c.first == name; });
    // Each value was checked against this range when it was set, so the range is here.
    std::string unknown;
    const ControlRange* range = find_control(capabilities_.controls, name, unknown);
    ControlRange exact;  // without one: numbers in their exact form
    exact.kind = ControlRange::Kind::kFloat;
    settings.controls.emplace_back(name, control_value_text(range ? *range : exact, values));
  }
  return settings;
}

CameraSource::OpenFailure CameraSource::open_session(const CaptureSettings& settings,
                                                     std::string& error, bool for_still) {
  if (!device_->open(error)) return OpenFailure::kOpen;
  auto session = std::make_shared<Session>();
  if (!device_->configure(settings_with_controls(settings), session->video.stream,
                          session->still.stream, error)) {
    device_->stop();
    return OpenFailure::kConfigure;
  }
  if (!session->video.map(error) || (session->has_still() && !session->still.map(error))) {
    device_->stop();
    return OpenFailure::kOpen;
  }
  if (!for_still) {
    // Known before the first frame, so a client that sees the stream can set them.
    CameraCapabilities caps = device_->capabilities();
    std::lock_guard lock(info_mutex_);
    // --control values as numbers, now that their ranges are known: what clients see.
    for (const auto& [name, text] : options_.settings.controls) {
      std::string ignored;
      const ControlRange* range = find_control(caps.controls, name, ignored);
      std::vector<double> values;
      if (range && !control_values_.count(name) &&
          parse_control_value(*range, text, values, ignored))
        control_values_[name] = values;
    }
    capabilities_ = std::move(caps);
    have_capabilities_ = true;
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
    return OpenFailure::kOpen;
  }
  const CameraStream& s = session->video.stream;
  for (std::size_t i = 0; i < s.buffers.size(); ++i) {
    if (!device_->queue(static_cast<int>(i), -1)) {
      error = "the camera refused its own buffers when starting; is another program using it?";
      device_->stop();
      return OpenFailure::kOpen;
    }
  }
  session_ = std::move(session);
  rate_limit_.reset();
  failed_in_a_row_ = 0;
  still_queued_ = false;
  still_held_ = false;
  last_completion_ = std::chrono::steady_clock::now();
  if (for_still) return OpenFailure::kNone;
  {
    std::lock_guard lock(info_mutex_);
    description_ = s.description;
    width_ = s.width;
    height_ = s.height;
  }
  signal_ = true;
  opened_.fetch_add(1, std::memory_order_relaxed);
  return OpenFailure::kNone;
}

bool CameraSource::open_current(std::string& error) {
  const OpenFailure failure = open_session(settings_, error);
  if (failure == OpenFailure::kNone) {
    good_settings_ = settings_;
    have_good_settings_ = true;
    return true;
  }
  if (failure != OpenFailure::kConfigure || !have_good_settings_ ||
      same_geometry(settings_, good_settings_))
    return false;
  // A new size or orientation the camera will not take: back to the last that worked, so the
  // stream goes on; mode() shows it.
  log::warn("the camera refused the new mode: " + error + "; going back to " +
            size_text(good_settings_.width, good_settings_.height));
  const double fps = settings_.fps;
  settings_ = good_settings_;
  settings_.fps = fps;
  {
    std::lock_guard lock(info_mutex_);
    mode_ = SourceMode{settings_.width, settings_.height, mode_.fps,
                       settings_.hflip, settings_.vflip,  settings_.rotate};
    width_ = settings_.width;
    height_ = settings_.height;
  }
  return open_session(settings_, error) == OpenFailure::kNone;
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
  still_switch_ = false;
  switch_back_ = false;
  still_queued_ = false;
  still_held_ = false;
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
  std::lock_guard lock(info_mutex_);
  return mode_;
}

bool CameraSource::can_transform() const {
  std::lock_guard lock(info_mutex_);
  return capabilities_.can_transform;
}

std::vector<std::string> CameraSource::sizes() const {
  std::lock_guard lock(info_mutex_);
  std::vector<std::string> out;
  for (const auto& [w, h] : capabilities_.sizes)
    out.push_back(size_text(w, h));
  return out;
}

std::pair<int, int> CameraSource::still_size() const {
  std::lock_guard lock(info_mutex_);
  if (capabilities_.sizes.empty()) return {0, 0};
  return capabilities_.sizes.front();
}

bool CameraSource::set_mode(const SourceMode& mode, std::string& error) {
  if (mode.width <= 0 || mode.height <= 0 || !(mode.fps >= 0)) {
    error = "a mode needs a positive size and a frame rate of 0 or more";
    return false;
  }
  if (mode.rotate != 0 && mode.rotate != 180) {
    error = "a camera rotates by 0 or 180 degrees only; use rotate 0 or 180";
    return false;
  }
  {
    std::lock_guard lock(info_mutex_);
    const bool transform = mode.hflip || mode.vflip || mode.rotate != 0;
    if (transform && have_capabilities_ && !capabilities_.can_transform) {
      error = "this camera cannot flip or rotate the picture; leave hflip, vflip and rotate off";
      return false;
    }
    mode_ = mode;
  }
  events_->push({Events::Event::Kind::kMode, 0, {}});
  return true;
}

std::vector<CameraControlState> CameraSource::camera_controls() const {
  std::lock_guard lock(info_mutex_);
  std::vector<CameraControlState> out;
  for (const ControlRange& range : capabilities_.controls) {
    CameraControlState state{range, range.default_value};
    const auto it = control_values_.find(range.name);
    if (it != control_values_.end()) {
      state.value = it->second;
    } else if (range.name == "FrameDurationLimits" && mode_.fps > 0) {
      // What the daemon sets for --fps, in microseconds.
      const double us = std::round(1e6 / mode_.fps);
      state.value = {us, us};
    }
    out.push_back(std::move(state));
  }
  return out;
}

bool CameraSource::set_camera_controls(const std::vector<ControlChange>& changes,
                                       std::string& error) {
  {
    std::lock_guard lock(info_mutex_);
    if (!have_capabilities_) {
      error =
          "the camera has not been opened yet, so its controls are not known; try again "
          "once it streams";
      return false;
    }
    for (const ControlChange& c : changes) {
      const ControlRange* range = find_control(capabilities_.controls, c.name, error);
      if (!range) return false;
      if (!range->read_only.empty()) {
        error = c.name + " is not set directly (" + range->read_only + ")";
        return false;
      }
    }
    for (const ControlChange& c : changes)
      control_values_[c.name] = c.value;
  }
  events_->push({Events::Event::Kind::kControls, 0, {}, changes});
  return true;
}

bool CameraSource::request_still(std::string& error) {
  if (still_size().first == 0) {
    error =
        "the camera has not been opened yet, so it has no still size; try again once it "
        "streams";
    return false;
  }
  still_asked_.fetch_add(1);
  events_->push({Events::Event::Kind::kStill, 0, {}});
  return true;
}

SourceStats CameraSource::stats() const {
  return SourceStats{captured_.load(), dropped_.load(), over_rate_.load()};
}

CameraSourceStats CameraSource::camera_stats() const {
  return CameraSourceStats{signal_.load(), opened_.load(), lost_.load(), no_signal_.load()};
}

std::chrono::milliseconds CameraSource::stall_timeout() const {
  // A slow frame rate must not pass for a stalled camera: three frame periods at least.
  if (settings_.fps <= 0) return options_.stall_timeout;
  const auto periods =
      std::chrono::milliseconds(static_cast<long>(std::ceil(3000 / settings_.fps)));
  return std::max(options_.stall_timeout, periods);
}

bool CameraSource::still_wanted() const {
  return still_asked_.load() > still_served_;
}

void CameraSource::apply_mode() {
  SourceMode m;
  {
    std::lock_guard lock(info_mutex_);
    m = mode_;
  }
  if (m.fps != settings_.fps) {
    settings_.fps = m.fps;
    rate_limit_ = FrameRateLimit(m.fps);
    if (session_) device_->set_frame_rate(m.fps);
  }
  CaptureSettings wanted = settings_;
  wanted.width = m.width;
  wanted.height = m.height;
  wanted.hflip = m.hflip;
  wanted.vflip = m.vflip;
  wanted.rotate = m.rotate;
  if (same_geometry(wanted, settings_)) return;
  settings_ = wanted;
  if (session_) {
    reconfigure_ = true;
  } else {
    // No camera now: the no-signal picture takes the new size until it is back.
    std::lock_guard lock(info_mutex_);
    width_ = m.width;
    height_ = m.height;
  }
}

void CameraSource::apply_controls(const std::vector<ControlChange>& changes) {
  // Without a camera now, the values wait in control_values_ for the next configure().
  if (!session_) return;
  std::string error;
  if (!device_->set_controls(changes, error))
    log::warn("camera controls not applied: " + error + "; check the names with GET /controls");
}

void CameraSource::start_still_switch() {
  const auto [w, h] = still_size();
  CaptureSettings full = settings_;
  full.width = w;
  full.height = h;
  full.still_stream = false;
  still_attached_ = still_asked_.load();
  close_session({});
  std::string error;
  if (open_session(full, error, true) == OpenFailure::kNone) {
    still_switch_ = true;
    still_skip_ = options_.still_settle_frames;
    return;
  }
  log::warn("the camera could not switch to " + size_text(w, h) + " for a still: " + error +
            "; that still is not made");
  still_served_ = still_attached_;
  if (!open_current(error)) log::warn("camera not back after a still: " + error);
}

void CameraSource::end_still_switch() {
  close_session({});
  std::string error;
  if (!open_current(error)) log::warn("camera not back after a still: " + error);
}

bool CameraSource::requeue(int buffer) {
  int still = -1;
  if (session_->has_still() && still_wanted() && !still_queued_ && !still_held_) {
    still = 0;
    still_queued_ = true;
    still_attached_ = still_asked_.load();
  }
  if (device_->queue(buffer, still)) return true;
  if (still >= 0) still_queued_ = false;
  return false;
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
      const auto deadline =
          session_ ? last_completion_ + stall_timeout() : std::min(next_no_signal_, next_reopen_);
      events_->wake.wait_until(lock, deadline,
                               [this] { return events_->stopping || !events_->queue.empty(); });
      if (events_->stopping) break;
      batch.swap(events_->queue);
    }

    for (const Events::Event& e : batch) {
      switch (e.kind) {
        case Events::Event::Kind::kMode:
          apply_mode();
          continue;
        case Events::Event::Kind::kControls:
          apply_controls(e.changes);
          continue;
        case Events::Event::Kind::kStill:
          continue;  // still_asked_ says it; served below or with the next request
        default:
          break;
      }
      if (!session_ || e.generation != generation_) continue;  // an older session's leftovers
      switch (e.kind) {
        case Events::Event::Kind::kCompleted:
          on_completed(sink, e.completion);
          break;
        case Events::Event::Kind::kReleased:
          if (e.completion.still_buffer >= 0) {
            still_held_ = false;
          } else if (!requeue(e.completion.buffer)) {
            close_session("the camera stopped taking buffers");
          }
          break;
        case Events::Event::Kind::kDisconnected:
          close_session("the camera was disconnected");
          break;
        default:
          break;
      }
    }

    if (reconfigure_) {
      reconfigure_ = false;
      // During a still's switch the way back configures the new mode anyway.
      if (session_ && !still_switch_) {
        close_session({});
        std::string error;
        if (open_current(error)) {
          log::info("camera reconfigured: " + describe());
        } else {
          log::warn("the camera did not come back after a change of mode: " + error +
                    "; serving a no-signal picture and trying again");
        }
      }
    }
    if (switch_back_) {
      end_still_switch();
    } else if (session_ && !still_switch_ && !session_->has_still() && still_wanted()) {
      const CameraStream& s = session_->video.stream;
      // At the full size already, the next frame is the still (on_completed()).
      if (std::make_pair(s.width, s.height) != still_size()) start_still_switch();
    }

    const auto now = Clock::now();
    if (session_ && now - last_completion_ >= stall_timeout()) {
      close_session("no frame from the camera for " + std::to_string(stall_timeout().count()) +
                    " ms");
    }
    if (session_) continue;
    if (now >= next_reopen_) {
      std::string error;
      if (open_current(error)) {
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

RawFramePtr CameraSource::wrap(const Yuv420View& view, std::uint64_t seq, std::uint64_t capture_us,
                               bool still, int buffer, int still_buffer) {
  auto raw = std::make_unique<RawFrame>(RawFrame{seq, capture_us, view, still});
  // The deleter runs wherever the last holder lets go (an encoder thread, or offer() itself
  // when refused) and hands the buffer back through the event queue.
  return RawFramePtr(raw.release(), [events = events_, session = session_, gen = generation_,
                                     buffer, still_buffer](const RawFrame* f) {
    delete f;
    CameraCompletion released;
    released.buffer = buffer;
    released.still_buffer = still_buffer;
    events->push({Events::Event::Kind::kReleased, gen, released});
  });
}

std::uint64_t CameraSource::last_seq() const {
  return seq_ > 0 ? seq_ - 1 : 0;
}

void CameraSource::on_still_completed(FrameSink& sink, const CameraCompletion& c) {
  still_queued_ = false;
  const Mapped& still = session_->still;
  // A failed still stays wanted: the next request queued carries the buffer again.
  if (!c.still_ok || static_cast<std::size_t>(c.still_buffer) >= still.stream.buffers.size())
    return;
  const std::uint64_t capture_us = c.timestamp_ns ? c.timestamp_ns / 1000 : monotonic_us();
  still_held_ = true;
  offer_still(sink, wrap(session_->still.view(c.still_buffer), last_seq(), capture_us, true, -1,
                         c.still_buffer));
}

bool CameraSource::offer_still(FrameSink& sink, RawFramePtr frame) {
  // Refused (every encoder busy): it stays wanted, and the next chance tries again.
  if (!sink.offer(std::move(frame))) return false;
  still_served_ = std::max(still_served_, still_attached_);
  return true;
}

void CameraSource::on_completed(FrameSink& sink, const CameraCompletion& c) {
  const CameraStream& s = session_->video.stream;
  if (c.buffer < 0 || static_cast<std::size_t>(c.buffer) >= s.buffers.size()) return;
  last_completion_ = std::chrono::steady_clock::now();
  if (c.still_buffer >= 0) on_still_completed(sink, c);
  if (!c.ok) {
    if (++failed_in_a_row_ >= options_.max_failed_in_a_row) {
      close_session(std::to_string(failed_in_a_row_) + " captures failed in a row");
    } else if (!requeue(c.buffer)) {
      close_session("the camera stopped taking buffers");
    }
    return;
  }
  failed_in_a_row_ = 0;
  const std::uint64_t capture_us = c.timestamp_ns ? c.timestamp_ns / 1000 : monotonic_us();
  if (still_switch_) {
    // Switched to the full size for a still: after a few frames for exposure to settle, the
    // first the encoders take is it. The stream's clients keep the last picture meanwhile.
    if (still_skip_ > 0 || switch_back_) {
      if (still_skip_ > 0) --still_skip_;
      if (!requeue(c.buffer)) close_session("the camera stopped taking buffers");
      return;
    }
    if (offer_still(
            sink, wrap(session_->video.view(c.buffer), last_seq(), capture_us, true, c.buffer, -1)))
      switch_back_ = true;
    return;
  }
  // Streaming at the full size without a still stream: a still shares the next frame.
  const bool share_still =
      !session_->has_still() && still_wanted() && std::make_pair(s.width, s.height) == still_size();
  // A camera faster than --fps (one that ignores FrameDurationLimits) is held to it here,
  // watched or not, so the cadence stays even when a client arrives; an unwanted frame then
  // goes back to the camera as below.
  const bool in_rate = rate_limit_.admit(capture_us);
  if (!in_rate) over_rate_.fetch_add(1, std::memory_order_relaxed);
  const bool wanted = in_rate && (demand_ == nullptr || demand_->try_acquire());
  if (!wanted && !share_still) {
    if (!requeue(c.buffer)) close_session("the camera stopped taking buffers");
    return;
  }
  RawFramePtr frame = wrap(session_->video.view(c.buffer), wanted ? seq_++ : last_seq(), capture_us,
                           false, c.buffer, -1);
  if (share_still) {
    still_attached_ = still_asked_.load();
    auto still = std::make_unique<RawFrame>(*frame);
    still->still = true;
    offer_still(sink,
                RawFramePtr(still.release(), [keep = frame](const RawFrame* f) { delete f; }));
  }
  if (!wanted) return;  // released here: its buffer goes back to the camera
  captured_.fetch_add(1, std::memory_order_relaxed);
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
