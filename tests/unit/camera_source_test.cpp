// camera_source_test.cpp - CameraSource's logic against a fake camera with memfd buffers:
// zero-copy planes, re-queueing, drop when busy, failures, no-signal and reopening.
#include "device/capture/camera_source.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include "device/capture/no_signal.hpp"
#include "device/control/controls.hpp"
#include "device/encode/encoder_pool.hpp"
#include "device/serve/hub.hpp"

namespace camstream {
namespace {

using namespace std::chrono_literals;
constexpr auto kTimeout = 10s;  // bounds a failure; not a performance expectation

// What the fake camera and the test share; the source owns the fake itself.
struct FakeState {
  std::mutex mutex;
  std::condition_variable changed;
  bool present = true;
  PixelLayout layout = PixelLayout::kYuv420;
  int buffers = 4;
  int opens = 0;
  int stops = 0;
  bool started = false;
  std::deque<int> queued;
  std::deque<int> queued_still;  // parallel to `queued`: the still buffer with it, or -1
  std::vector<int> fds;          // one memfd per buffer
  CameraStream stream;
  CameraStream still;
  CameraDevice::CompletionFn complete;
  CameraDevice::DisconnectFn disconnect;
  // The camera's offer: the sizes it takes (others become the last, 320x240), a second
  // stream for stills, flips; sizes it refuses outright.
  std::vector<std::pair<int, int>> sizes = {{640, 480}, {320, 240}};
  bool two_streams = false;
  bool can_transform = true;
  std::vector<std::pair<int, int>> refused;
  std::vector<CaptureSettings> configured;  // every configure() asked for
  // Controls and rates set, and what the next queue() took with it.
  std::vector<ControlChange> pending_controls;
  double pending_fps = -1;
  std::vector<std::vector<ControlChange>> queued_controls;
  std::vector<double> queued_fps;

  template <typename Pred>
  bool wait(Pred pred) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, kTimeout, pred);
  }
};

std::vector<ControlRange> fake_controls() {
  using K = ControlRange::Kind;
  ControlRange exposure{"ExposureTime", K::kInteger, false, true, 1, 66666, {}, {}, {10000}, {}};
  ControlRange awb{"AwbMode", K::kInteger,          false, true, 0, 1,
                   {0, 1},    {"Auto", "Daylight"}, {0},   {}};
  ControlRange limits{"FrameDurationLimits", K::kInteger, true, true, 1000, 1000000, {}, {}, {},
                      "set by fps"};
  return {exposure, awb, limits};
}

// A camera whose buffers are memfds, each holding its planes at offsets like a dmabuf does.
// Of the sizes asked it takes those in `sizes`; any other becomes 320x240: the source must use
// what it got.
class FakeCamera final : public CameraDevice {
 public:
  explicit FakeCamera(std::shared_ptr<FakeState> s) : s_(std::move(s)) {}
  ~FakeCamera() override { FakeCamera::stop(); }

  bool open(std::string& error) override {
    std::lock_guard lock(s_->mutex);
    if (!s_->present) {
      error = "no camera found";
      return false;
    }
    ++s_->opens;
    s_->changed.notify_all();
    return true;
  }

  bool configure(const CaptureSettings& settings, CameraStream& out, CameraStream& still,
                 std::string& error) override {
    std::lock_guard lock(s_->mutex);
    s_->configured.push_back(settings);
    std::pair<int, int> size{settings.width, settings.height};
    if (std::find(s_->refused.begin(), s_->refused.end(), size) != s_->refused.end()) {
      error = "the fake camera refuses " + std::to_string(size.first) + "x" +
              std::to_string(size.second);
      s_->changed.notify_all();
      return false;
    }
    if (std::find(s_->sizes.begin(), s_->sizes.end(), size) == s_->sizes.end())
      size = s_->sizes.back();
    s_->stream = make_stream(size.first, size.second, s_->buffers);
    out = s_->stream;
    s_->still = CameraStream{};
    if (settings.still_stream && s_->two_streams)
      s_->still = make_stream(s_->sizes.front().first, s_->sizes.front().second, 1);
    still = s_->still;
    s_->changed.notify_all();
    return true;
  }

  CameraCapabilities capabilities() override {
    std::lock_guard lock(s_->mutex);
    return CameraCapabilities{s_->sizes, s_->can_transform, fake_controls()};
  }

  bool start(CompletionFn complete, DisconnectFn disconnect, std::string&) override {
    std::lock_guard lock(s_->mutex);
    s_->complete = std::move(complete);
    s_->disconnect = std::move(disconnect);
    s_->started = true;
    return true;
  }

  bool queue(int buffer, int still_buffer) override {
    std::lock_guard lock(s_->mutex);
    if (!s_->started) return false;
    s_->queued.push_back(buffer);
    s_->queued_still.push_back(still_buffer);
    s_->queued_controls.push_back(std::move(s_->pending_controls));
    s_->pending_controls.clear();
    s_->queued_fps.push_back(s_->pending_fps);
    s_->pending_fps = -1;
    s_->changed.notify_all();
    return true;
  }

  bool set_controls(const std::vector<ControlChange>& changes, std::string&) override {
    std::lock_guard lock(s_->mutex);
    s_->pending_controls.insert(s_->pending_controls.end(), changes.begin(), changes.end());
    return true;
  }

  void set_frame_rate(double fps) override {
    std::lock_guard lock(s_->mutex);
    s_->pending_fps = fps;
  }

  void stop() override {
    std::lock_guard lock(s_->mutex);
    if (s_->started) ++s_->stops;
    s_->started = false;
    s_->queued.clear();
    s_->queued_still.clear();
    s_->complete = nullptr;
    s_->disconnect = nullptr;
    for (int fd : s_->fds)
      close(fd);
    s_->fds.clear();
    s_->changed.notify_all();
  }

 private:
  // Planes at offsets with a gap after the luma, as a real allocator may leave; rows 64 bytes
  // longer than the picture.
  CameraStream make_stream(int width, int height, int buffers) {
    CameraStream st;
    st.width = width;
    st.height = height;
    st.stride = width + 64;
    st.layout = s_->layout;
    st.description = "fake camera " + std::to_string(width) + "x" + std::to_string(height);
    const std::size_t luma = static_cast<std::size_t>(st.stride * height);
    const std::size_t chroma = static_cast<std::size_t>(
        s_->layout == PixelLayout::kNv12 ? st.stride * height / 2 : st.stride / 2 * height / 2);
    for (int b = 0; b < buffers; ++b) {
      const int fd = memfd_create("fake-camera", MFD_CLOEXEC);
      EXPECT_EQ(ftruncate(fd, static_cast<off_t>(luma + 2 * chroma + 8192)), 0);
      s_->fds.push_back(fd);
      std::vector<CameraPlane> planes{{fd, 0, luma}, {fd, luma + 4096, chroma}};
      if (s_->layout == PixelLayout::kYuv420) planes.push_back({fd, luma + 4096 + chroma, chroma});
      st.buffers.push_back(planes);
    }
    return st;
  }

  std::shared_ptr<FakeState> s_;
};

// Fills buffer `buffer` of `stream` with y/u/v.
void fill(const CameraStream& stream, int buffer, std::uint8_t y, std::uint8_t u, std::uint8_t v) {
  const auto& planes = stream.buffers[static_cast<std::size_t>(buffer)];
  const int fd = planes[0].fd;
  std::vector<std::uint8_t> bytes(planes[0].length, y);
  EXPECT_EQ(pwrite(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  bytes.assign(planes[1].length, u);
  if (stream.layout == PixelLayout::kNv12) {
    for (std::size_t i = 1; i < bytes.size(); i += 2)
      bytes[i] = v;
  }
  EXPECT_EQ(pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(planes[1].offset)),
            static_cast<ssize_t>(bytes.size()));
  if (planes.size() == 3) {
    bytes.assign(planes[2].length, v);
    EXPECT_EQ(pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(planes[2].offset)),
              static_cast<ssize_t>(bytes.size()));
  }
}

// Captures into the oldest queued buffer (and its still buffer, if one came with it): fills
// its planes with y/u/v and completes it. Returns the buffer, or -1 when none was queued in
// time.
int capture(FakeState& s, std::uint8_t y, std::uint8_t u, std::uint8_t v,
            std::uint64_t timestamp_ns, bool ok = true) {
  if (!s.wait([&] { return !s.queued.empty(); })) return -1;
  CameraDevice::CompletionFn complete;
  CameraCompletion c;
  {
    std::lock_guard lock(s.mutex);
    c.buffer = s.queued.front();
    c.still_buffer = s.queued_still.front();
    s.queued.pop_front();
    s.queued_still.pop_front();
    fill(s.stream, c.buffer, y, u, v);
    if (c.still_buffer >= 0) fill(s.still, c.still_buffer, y, u, v);
    complete = s.complete;
  }
  c.ok = ok;
  c.still_ok = ok;
  c.timestamp_ns = timestamp_ns;
  if (complete) complete(c);
  return c.buffer;
}

struct Seen {
  std::uint64_t seq;
  std::uint64_t capture_us;
  int width;
  std::uint8_t y, u, v;
  bool no_signal;
  bool still = false;
};

// Records every frame; holds on to them (as a busy encoder does) when `hold`, refuses them
// all (every encoder busy) when `refuse`.
class RecordingSink final : public FrameSink {
 public:
  bool offer(RawFramePtr frame) override {
    std::lock_guard lock(mutex_);
    if (refuse) {
      ++refused;
      changed_.notify_all();
      return false;
    }
    const Yuv420View& p = frame->planes;
    seen.push_back({frame->seq, frame->capture_us, p.width, p.y[0], p.u[0], p.v[0],
                    looks_like_no_signal(p), frame->still});
    if (hold) held.push_back(std::move(frame));
    changed_.notify_all();
    return true;
  }

  template <typename Pred>
  bool wait(Pred pred) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kTimeout, [&] { return pred(*this); });
  }

  void release_all() {
    std::lock_guard lock(mutex_);
    held.clear();
  }

  bool hold = false;
  bool refuse = false;
  int refused = 0;
  std::vector<Seen> seen;
  std::vector<RawFramePtr> held;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
};

struct Rig {
  // fps 0: frames come when a test says so with the timestamps it likes, and no rate limit
  // lets some of them go.
  explicit Rig(CameraSourceOptions o = {}, double fps = 0) : state(std::make_shared<FakeState>()) {
    o.reopen_interval = 20ms;
    o.no_signal_fps = 50;
    o.settings.fps = fps;
    options = o;
  }
  void make() {
    source = std::make_unique<CameraSource>(std::make_unique<FakeCamera>(state), options);
  }
  std::shared_ptr<FakeState> state;
  CameraSourceOptions options;
  std::unique_ptr<CameraSource> source;
};

TEST(CameraSource, FramesPointIntoTheMappedBufferWithTheSensorTime) {
  Rig rig;
  rig.make();
  std::string error;
  ASSERT_TRUE(rig.source->open(error)) << error;
  // The camera chose 320x240 for the 1280x720 asked: that is what frames have.
  EXPECT_EQ(rig.source->width(), 320);
  EXPECT_EQ(rig.source->height(), 240);
  EXPECT_EQ(rig.source->describe(), "fake camera 320x240");
  RecordingSink sink;
  sink.hold = true;
  rig.source->start(sink);
  ASSERT_GE(capture(*rig.state, 77, 88, 99, 123'456'789'000), 0);
  ASSERT_TRUE(sink.wait([](auto& s) { return s.seen.size() == 1; }));
  rig.source->stop();
  const Seen f = sink.seen[0];
  EXPECT_EQ(f.seq, 0u);
  EXPECT_EQ(f.capture_us, 123'456'789u);
  EXPECT_EQ(f.width, 320);
  EXPECT_EQ(f.y, 77);
  EXPECT_EQ(f.u, 88);
  EXPECT_EQ(f.v, 99);
  EXPECT_FALSE(f.no_signal);
  // The frame's last row of chroma lies in the buffer too: the encoder reads it in place.
  const Yuv420View& p = sink.held[0]->planes;
  EXPECT_EQ(p.y_stride, 384);
  EXPECT_EQ(p.uv_stride, 192);
  EXPECT_EQ(p.v[119 * 192 + 159], 99);
  EXPECT_EQ(rig.source->stats().captured, 1u);
  EXPECT_EQ(rig.source->stats().dropped, 0u);
}

TEST(CameraSource, ABufferIsQueuedAgainOnlyWhenItsFrameIsReleased) {
  Rig rig;
  rig.make();
  RecordingSink sink;
  sink.hold = true;
  rig.source->start(sink);  // opens the camera in the background
  ASSERT_TRUE(rig.state->wait([&] { return rig.state->queued.size() == 4; }));
  const int buffer = capture(*rig.state, 1, 2, 3, 1000);
  ASSERT_TRUE(sink.wait([](auto& s) { return s.seen.size() == 1; }));
  {
    std::lock_guard lock(rig.state->mutex);
    EXPECT_EQ(rig.state->queued.size(), 3u) << "held by the encoder, so not queued";
  }
  sink.release_all();
  ASSERT_TRUE(rig.state->wait([&] { return rig.state->queued.size() == 4; }));
  EXPECT_EQ(rig.state->queued.back(), buffer);
  rig.source->stop();
}

TEST(CameraSource, AFrameNoEncoderTakesIsDroppedAndItsBufferQueuedAtOnce) {
  Rig rig;
  rig.make();
  RecordingSink sink;
  sink.refuse = true;
  rig.source->start(sink);
  ASSERT_TRUE(rig.state->wait([&] { return rig.state->queued.size() == 4; }));
  for (int i = 0; i < 10; ++i) {
    const int buffer = capture(*rig.state, 1, 2, 3, 1000 + static_cast<std::uint64_t>(i));
    ASSERT_GE(buffer, 0) << "the camera ran out of buffers: a dropped frame was not re-queued";
  }
  ASSERT_TRUE(rig.state->wait([&] { return rig.state->queued.size() == 4; }));
  rig.source->stop();
  EXPECT_EQ(sink.refused, 10);
  EXPECT_EQ(rig.source->stats().captured, 10u);
  EXPECT_EQ(rig.source->stats().dropped, 10u);
}

TEST(CameraSource, Nv12ChromaIsSplitForTheEncoder) {
  Rig rig;
  rig.state->layout = PixelLayout::kNv12;
  rig.make();
  RecordingSink sink;
  sink.hold = true;
  rig.source->start(sink);
  ASSERT_GE(capture(*rig.state, 50, 60, 70, 1000), 0);
  ASSERT_TRUE(sink.wait([](auto& s) { return s.seen.size() == 1; }));
  rig.source->stop();
  EXPECT_EQ(sink.seen[0].y, 50);
  EXPECT_EQ(sink.seen[0].u, 60);
  EXPECT_EQ(sink.seen[0].v, 70);
  const Yuv420View& p = sink.held[0]->planes;
  EXPECT_EQ(p.uv_stride, 160);
  EXPECT_EQ(p.u[119 * 160 + 159], 60);
  EXPECT_EQ(p.v[119 * 160 + 159], 70);
}

TEST(CameraSource, UnpluggedCameraServesNoSignalAndComesBack) {
  Rig rig;
  rig.make();
  RecordingSink sink;
  rig.source->start(sink);
  ASSERT_GE(capture(*rig.state, 100, 128, 128, 1000), 0);
  ASSERT_TRUE(sink.wait([](auto& s) { return s.seen.size() == 1; }));

  CameraDevice::DisconnectFn unplug;
  {
    std::lock_guard lock(rig.state->mutex);
    rig.state->present = false;
    unplug = rig.state->disconnect;
  }
  ASSERT_TRUE(unplug);
  unplug();
  ASSERT_TRUE(sink.wait([](auto& s) {
    int n = 0;
    for (const Seen& f : s.seen)
      n += f.no_signal;
    return n >= 3;
  }));
  EXPECT_FALSE(rig.source->camera_stats().signal);
  EXPECT_EQ(rig.source->camera_stats().lost, 1u);
  EXPECT_EQ(rig.state->stops, 1);

  {
    std::lock_guard lock(rig.state->mutex);
    rig.state->present = true;
  }
  ASSERT_TRUE(
      rig.state->wait([&] { return rig.state->opens == 2 && rig.state->queued.size() == 4; }));
  ASSERT_GE(capture(*rig.state, 200, 128, 128, 2000), 0);
  ASSERT_TRUE(sink.wait([](auto& s) { return !s.seen.empty() && s.seen.back().y == 200; }));
  EXPECT_TRUE(rig.source->camera_stats().signal);
  rig.source->stop();
  EXPECT_EQ(rig.source->camera_stats().opened, 2u);
  // One stream throughout: sequence numbers only increase, across the gap too.
  for (std::size_t i = 1; i < sink.seen.size(); ++i)
    EXPECT_LT(sink.seen[i - 1].seq, sink.seen[i].seq);
  EXPECT_EQ(sink.seen.back().width, 320);
}

TEST(CameraSource, ACameraThatStopsDeliveringCountsAsLost) {
  CameraSourceOptions o;
  o.stall_timeout = 100ms;
  Rig rig(o);
  rig.make();
  RecordingSink sink;
  rig.source->start(sink);
  // Nothing is ever captured: the source gives up on this run of the camera and reopens it.
  ASSERT_TRUE(sink.wait([](auto& s) { return !s.seen.empty() && s.seen.back().no_signal; }));
  ASSERT_TRUE(rig.state->wait([&] { return rig.state->opens >= 2; }));
  rig.source->stop();
  EXPECT_GE(rig.source->camera_stats().lost, 1u);
}

TEST(CameraSource, FailedCapturesAreQueuedAgainUntilTooManyInARow) {
  CameraSourceOptions o;
  o.max_failed_in_a_row = 5;
  Rig rig(o);
  rig.make();
  RecordingSink sink;
  rig.source->start(sink);
  for (int i = 0; i < 4; ++i)
    ASSERT_GE(capture(*rig.state, 0, 0, 0, 0, false), 0);
  ASSERT_GE(capture(*rig.state, 9, 128, 128, 0), 0);  // a good one resets the count
  ASSERT_TRUE(sink.wait([](auto& s) { return s.seen.size() == 1; }));
  EXPECT_EQ(rig.source->camera_stats().lost, 0u);
  for (int i = 0; i < 5; ++i)
    ASSERT_GE(capture(*rig.state, 0, 0, 0, 0, false), 0);
  ASSERT_TRUE(sink.wait([](auto& s) { return s.seen.back().no_signal; }));
  rig.source->stop();
  EXPECT_GE(rig.source->camera_stats().lost, 1u);
  EXPECT_NE(sink.seen[0].capture_us, 0u) << "no sensor time: the source's clock stands in";
}

// libcamera's virtual camera runs near 290 fps whatever FrameDurationLimits says.
TEST(CameraSource, ACameraFasterThanAskedIsHeldToTheRateBeforeEncoding) {
  Rig rig({}, 30);
  rig.make();
  RecordingSink sink;
  rig.source->start(sink);
  constexpr int kFrames = 290;  // one second of the fast camera
  for (int i = 0; i < kFrames; ++i) {
    const auto t_ns = 5'000'000'000ull + static_cast<std::uint64_t>(i) * 1'000'000'000ull / 290;
    ASSERT_GE(capture(*rig.state, 1, 2, 3, t_ns), 0) << "frame " << i;
  }
  ASSERT_TRUE(rig.state->wait([&] { return rig.state->queued.size() == 4; }));
  rig.source->stop();
  ASSERT_GE(sink.seen.size(), 29u);
  ASSERT_LE(sink.seen.size(), 31u);
  // Frames let go for the rate take no sequence number: the stream has no gaps to report.
  for (std::size_t i = 0; i < sink.seen.size(); ++i) {
    EXPECT_EQ(sink.seen[i].seq, i);
    if (i > 0) {
      EXPECT_GE(sink.seen[i].capture_us - sink.seen[i - 1].capture_us, 1'000'000u / 60);
    }
  }
  const SourceStats stats = rig.source->stats();
  EXPECT_EQ(stats.captured, sink.seen.size());
  EXPECT_EQ(stats.over_rate, kFrames - sink.seen.size());
  EXPECT_EQ(stats.dropped, 0u);
}

TEST(CameraSource, OpenSaysWhyWhenThereIsNoCamera) {
  Rig rig;
  rig.state->present = false;
  rig.make();
  std::string error;
  EXPECT_FALSE(rig.source->open(error));
  EXPECT_EQ(error, "no camera found");
}

TEST(CameraSource, FramesOutliveTheSourceAndTheirMapping) {
  Rig rig;
  rig.make();
  RecordingSink sink;
  sink.hold = true;
  rig.source->start(sink);
  ASSERT_GE(capture(*rig.state, 42, 43, 44, 1000), 0);
  ASSERT_TRUE(sink.wait([](auto& s) { return s.seen.size() == 1; }));
  rig.source.reset();  // stops the camera and closes its fds while the frame is held
  EXPECT_EQ(rig.state->stops, 1);
  const Yuv420View& p = sink.held[0]->planes;
  EXPECT_EQ(p.y[320 * 239], 42) << "the mapping must stay valid while a frame holds it";
  EXPECT_EQ(p.v[0], 44);
  sink.release_all();
}

// Waits until the camera has `opens` opens behind it and all its buffers queued.
bool wait_running(FakeState& s, int opens) {
  return s.wait([&] {
    return s.opens == opens && s.started && s.queued.size() == static_cast<std::size_t>(s.buffers);
  });
}

TEST(CameraSource, ANewSizeReconfiguresTheCameraAndFramesComeAtIt) {
  Rig rig;
  rig.make();
  RecordingSink sink;
  rig.source->start(sink);
  ASSERT_TRUE(wait_running(*rig.state, 1));
  ASSERT_GE(capture(*rig.state, 10, 128, 128, 1000), 0);
  ASSERT_TRUE(sink.wait([](auto& s) { return s.seen.size() == 1; }));
  SourceMode mode = rig.source->mode();
  mode.width = 640;
  mode.height = 480;
  mode.hflip = true;
  std::string error;
  ASSERT_TRUE(rig.source->set_mode(mode, error)) << error;
  ASSERT_TRUE(wait_running(*rig.state, 2));
  ASSERT_GE(capture(*rig.state, 20, 128, 128, 2000), 0);
  ASSERT_TRUE(sink.wait([](auto& s) { return s.seen.size() == 2; }));
  rig.source->stop();
  EXPECT_EQ(sink.seen[1].width, 640);
  EXPECT_EQ(sink.seen[1].y, 20);
  EXPECT_LT(sink.seen[0].seq, sink.seen[1].seq) << "one stream across the change";
  EXPECT_EQ(rig.source->width(), 640);
  EXPECT_EQ(rig.source->height(), 480);
  EXPECT_EQ(rig.source->mode(), mode);
  ASSERT_EQ(rig.state->configured.size(), 2u);
  EXPECT_TRUE(rig.state->configured[1].hflip);
  EXPECT_EQ(rig.source->camera_stats().lost, 0u) << "a change of mode is no lost camera";
  EXPECT_EQ(rig.source->sizes(), (std::vector<std::string>{"640x480", "320x240"}));
  EXPECT_TRUE(rig.source->can_transform());
}

TEST(CameraSource, ANewRateGoesWithTheNextRequestWithoutReopening) {
  Rig rig;
  rig.make();
  RecordingSink sink;
  rig.source->start(sink);
  ASSERT_TRUE(wait_running(*rig.state, 1));
  SourceMode mode = rig.source->mode();
  mode.fps = 10;
  std::string error;
  ASSERT_TRUE(rig.source->set_mode(mode, error)) << error;
  // A quarter of a second at 40 fps: at 10 fps, three or so are encoded (fps 0 took them all).
  for (int i = 0; i < 10; ++i)
    ASSERT_GE(capture(*rig.state, 1, 2, 3, 1'000'000'000ull + i * 25'000'000ull), 0);
  ASSERT_TRUE(rig.state->wait([&] { return rig.state->queued.size() == 4; }));
  rig.source->stop();
  EXPECT_EQ(rig.state->opens, 1);
  EXPECT_EQ(std::count(rig.state->queued_fps.begin(), rig.state->queued_fps.end(), 10.0), 1)
      << "the rate goes to the camera once, with one request";
  EXPECT_GE(sink.seen.size(), 2u);
  EXPECT_LE(sink.seen.size(), 4u);
  EXPECT_EQ(rig.source->stats().over_rate, 10 - sink.seen.size());
  EXPECT_EQ(rig.source->mode().fps, 10);
}

TEST(CameraSource, ControlsGoWithTheNextRequestAndSurviveAReopen) {
  Rig rig;
  rig.options.settings.controls = {{"AwbMode", "daylight"}};
  rig.make();
  std::string error;
  EXPECT_FALSE(rig.source->set_camera_controls({{"ExposureTime", {20000}}}, error));
  EXPECT_NE(error.find("not been opened"), std::string::npos) << error;
  RecordingSink sink;
  rig.source->start(sink);
  ASSERT_TRUE(wait_running(*rig.state, 1));
  ASSERT_TRUE(rig.source->set_camera_controls({{"ExposureTime", {20000}}}, error)) << error;
  EXPECT_FALSE(rig.source->set_camera_controls({{"FrameDurationLimits", {1, 1}}}, error));
  EXPECT_NE(error.find("set by fps"), std::string::npos) << error;
  EXPECT_FALSE(rig.source->set_camera_controls({{"Brightness", {1}}}, error));
  EXPECT_NE(error.find("no control called 'Brightness'"), std::string::npos) << error;
  // The sink lets the frame go at once: its buffer is queued again, with the control.
  const int buffer = capture(*rig.state, 1, 2, 3, 1000);
  ASSERT_TRUE(rig.state->wait(
      [&] { return rig.state->queued.size() == 4 && !rig.state->queued_controls.back().empty(); }));
  {
    std::lock_guard lock(rig.state->mutex);
    EXPECT_EQ(rig.state->queued.back(), buffer);
    const auto& c = rig.state->queued_controls.back();
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].name, "ExposureTime");
    EXPECT_EQ(c[0].value, std::vector<double>{20000});
  }
  const auto controls = rig.source->camera_controls();
  ASSERT_EQ(controls.size(), 3u);
  EXPECT_EQ(controls[0].range.name, "ExposureTime");
  EXPECT_EQ(controls[0].value, std::vector<double>{20000});
  EXPECT_EQ(controls[1].value, std::vector<double>{1}) << "--control AwbMode=daylight";
  EXPECT_EQ(controls[2].range.read_only, "set by fps");

  // Reopened (a new size), the camera is configured with the values set at run time.
  SourceMode mode = rig.source->mode();
  mode.width = 640;
  mode.height = 480;
  ASSERT_TRUE(rig.source->set_mode(mode, error)) << error;
  ASSERT_TRUE(wait_running(*rig.state, 2));
  rig.source->stop();
  const auto& settings = rig.state->configured.back();
  EXPECT_NE(std::find(settings.controls.begin(), settings.controls.end(),
                      std::make_pair(std::string("ExposureTime"), std::string("20000"))),
            settings.controls.end());
  EXPECT_NE(std::find(settings.controls.begin(), settings.controls.end(),
                      std::make_pair(std::string("AwbMode"), std::string("1"))),
            settings.controls.end());
}

// The control model (device/control) over a camera: what it lists of the camera's own
// controls, how it checks them against the camera's ranges and menus, and that a value it
// takes reaches the camera with the next request.
TEST(CameraControlsModel, ListsChecksAndAppliesTheCamerasControls) {
  Rig rig;
  rig.make();
  Hub hub;
  EncoderPool encoders(1, 80, hub);
  Controls controls(*rig.source, encoders, "");
  std::string error;
  ASSERT_TRUE(rig.source->open(error)) << error;  // here, so its size is known below
  RecordingSink sink;
  rig.source->start(sink);

  const nlohmann::json listing = controls.list();
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& c : listing["controls"])
    by_name[c["name"].get<std::string>()] = c;
  const nlohmann::json& exposure = by_name["ExposureTime"];
  EXPECT_EQ(exposure["owner"], "camera");
  EXPECT_EQ(exposure["type"], "integer");
  EXPECT_EQ(exposure["min"], 1);
  EXPECT_EQ(exposure["max"], 66666);
  EXPECT_EQ(exposure["default"], 10000);
  EXPECT_EQ(exposure["value"], 10000) << "nothing set yet: the default";
  const nlohmann::json& awb = by_name["AwbMode"];
  EXPECT_EQ(awb["type"], "menu");
  EXPECT_EQ(awb["menu"], (nlohmann::json::array({{{"value", 0}, {"label", "Auto"}},
                                                 {{"value", 1}, {"label", "Daylight"}}})));
  EXPECT_EQ(by_name["FrameDurationLimits"]["read_only"], "set by fps");
  EXPECT_TRUE(by_name["FrameDurationLimits"]["array"].get<bool>());
  EXPECT_EQ(by_name["size"]["options"], (nlohmann::json::array({"640x480", "320x240"})));
  EXPECT_EQ(by_name["size"]["streaming"], "320x240") << "the camera's choice for 1280x720";
  EXPECT_FALSE(by_name["hflip"].contains("read_only")) << "this camera can flip";
  EXPECT_EQ(listing["still"], (nlohmann::json{{"width", 640}, {"height", 480}}));

  ControlOutcome o = controls.apply(
      {{"ExposureTime", 20000}, {"AwbMode", "daylight"}, {"FrameDurationLimits", {1000, 2000}}},
      Role::kControl);
  EXPECT_EQ(o.applied, (nlohmann::json{{"ExposureTime", 20000}, {"AwbMode", 1}}));
  EXPECT_NE(o.refused["FrameDurationLimits"].get<std::string>().find("read-only here: set by fps"),
            std::string::npos);
  o = controls.apply({{"ExposureTime", 70000}, {"AwbMode", 3}, {"AwbMode2", 1}}, Role::kControl);
  EXPECT_TRUE(o.applied.empty());
  EXPECT_NE(o.refused["ExposureTime"].get<std::string>().find("out of range"), std::string::npos);
  EXPECT_NE(o.refused["ExposureTime"].get<std::string>().find("66666"), std::string::npos);
  EXPECT_NE(o.refused["AwbMode"].get<std::string>().find("Daylight"), std::string::npos)
      << "a menu's refusal names its values";
  EXPECT_NE(o.refused["AwbMode2"].get<std::string>().find("no such control"), std::string::npos);
  o = controls.apply({{"ExposureTime", 30000}}, Role::kView);
  EXPECT_TRUE(o.role_refused);

  // What was taken goes with the next request the camera gets.
  capture(*rig.state, 1, 2, 3, 1000);
  ASSERT_TRUE(rig.state->wait([&] {
    for (const auto& queued : rig.state->queued_controls) {
      if (queued.size() == 2) return true;
    }
    return false;
  }));
  rig.source->stop();
  EXPECT_EQ(by_name.size(), listing["controls"].size());
  const nlohmann::json now = controls.describe("ExposureTime");
  EXPECT_EQ(now["value"], 20000);
  EXPECT_EQ(controls.describe("AwbMode")["value"], 1);
}

TEST(CameraSource, StillsFromASecondStreamAreMarkedAndFullSize) {
  Rig rig;
  rig.state->two_streams = true;
  rig.make();
  RecordingSink sink;
  rig.source->start(sink);
  ASSERT_TRUE(wait_running(*rig.state, 1));
  std::string error;
  EXPECT_EQ(rig.source->still_size(), std::make_pair(640, 480));
  ASSERT_GE(capture(*rig.state, 1, 128, 128, 1000), 0);
  ASSERT_TRUE(sink.wait([](auto& s) { return s.seen.size() == 1; }));
  ASSERT_TRUE(rig.source->request_still(error)) << error;
  // The still's buffer goes with a request queued after the call: one of the next few.
  auto any_still = [](const RecordingSink& s) {
    return std::any_of(s.seen.begin(), s.seen.end(), [](const Seen& f) { return f.still; });
  };
  for (std::size_t i = 0; i < 8 && !any_still(sink); ++i) {
    ASSERT_GE(capture(*rig.state, 50, 128, 128, 2000 + i), 0);
    ASSERT_TRUE(sink.wait([i](auto& s) { return s.seen.size() >= i + 2; }));
  }
  rig.source->stop();
  std::vector<Seen> stills, stream;
  for (const Seen& f : sink.seen)
    (f.still ? stills : stream).push_back(f);
  ASSERT_EQ(stills.size(), 1u);
  EXPECT_EQ(stills[0].width, 640);
  EXPECT_EQ(stills[0].y, 50);
  for (const Seen& f : stream)
    EXPECT_EQ(f.width, 320) << "the stream keeps its size";
  EXPECT_EQ(rig.state->opens, 1) << "no switch with a still stream";
  EXPECT_LE(stills[0].seq, stream.back().seq);
}

TEST(CameraSource, WithoutASecondStreamAStillIsABriefSwitchToTheFullSize) {
  Rig rig;
  rig.options.still_settle_frames = 1;
  rig.make();
  RecordingSink sink;
  rig.source->start(sink);
  ASSERT_TRUE(wait_running(*rig.state, 1));
  ASSERT_GE(capture(*rig.state, 1, 128, 128, 1000), 0);
  ASSERT_TRUE(sink.wait([](auto& s) { return s.seen.size() == 1; }));
  std::string error;
  ASSERT_TRUE(rig.source->request_still(error)) << error;
  ASSERT_TRUE(wait_running(*rig.state, 2));
  EXPECT_EQ(rig.state->stream.width, 640);
  EXPECT_EQ(rig.source->width(), 320) << "clients are not told of the switch";
  ASSERT_GE(capture(*rig.state, 2, 128, 128, 2000), 0);  // let go: exposure settles
  ASSERT_GE(capture(*rig.state, 3, 128, 128, 3000), 0);  // the still
  ASSERT_TRUE(sink.wait([](auto& s) { return s.seen.back().still; }));
  ASSERT_TRUE(wait_running(*rig.state, 3));
  EXPECT_EQ(rig.state->stream.width, 320);
  ASSERT_GE(capture(*rig.state, 4, 128, 128, 4000), 0);
  ASSERT_TRUE(sink.wait([](auto& s) { return s.seen.size() == 3; }));
  rig.source->stop();
  ASSERT_EQ(sink.seen.size(), 3u);
  EXPECT_FALSE(sink.seen[0].still);
  EXPECT_TRUE(sink.seen[1].still);
  EXPECT_EQ(sink.seen[1].width, 640);
  EXPECT_EQ(sink.seen[1].y, 3);
  EXPECT_EQ(sink.seen[1].seq, sink.seen[0].seq) << "a still takes no number of its own";
  EXPECT_FALSE(sink.seen[2].still);
  EXPECT_EQ(sink.seen[2].width, 320);
  EXPECT_EQ(sink.seen[2].seq, sink.seen[0].seq + 1);
  EXPECT_EQ(rig.source->camera_stats().lost, 0u);
}

TEST(CameraSource, ASizeTheCameraRefusesFallsBackToTheLastModeThatWorked) {
  Rig rig;
  rig.state->refused = {{640, 480}};
  rig.make();
  RecordingSink sink;
  rig.source->start(sink);
  ASSERT_TRUE(wait_running(*rig.state, 1));
  const SourceMode before = rig.source->mode();
  SourceMode mode = before;
  mode.width = 640;
  mode.height = 480;
  mode.fps = 15;
  std::string error;
  ASSERT_TRUE(rig.source->set_mode(mode, error)) << error;
  // Opened for the new size (refused), then again as before.
  ASSERT_TRUE(wait_running(*rig.state, 3));
  ASSERT_GE(capture(*rig.state, 9, 128, 128, 1000), 0);
  ASSERT_TRUE(sink.wait([](auto& s) { return !s.seen.empty(); }));
  rig.source->stop();
  EXPECT_EQ(sink.seen.back().width, 320);
  SourceMode now = before;
  now.fps = 15;  // the rate needs no reconfiguring and stays
  EXPECT_EQ(rig.source->mode(), now);
  EXPECT_EQ(rig.source->camera_stats().lost, 0u);
}

TEST(CameraSource, FlipsAreRefusedForACameraThatCannotFlip) {
  Rig rig;
  rig.state->can_transform = false;
  rig.make();
  std::string error;
  ASSERT_TRUE(rig.source->open(error)) << error;
  SourceMode mode = rig.source->mode();
  mode.rotate = 180;
  EXPECT_FALSE(rig.source->set_mode(mode, error));
  EXPECT_NE(error.find("cannot flip or rotate"), std::string::npos) << error;
  mode.rotate = 90;
  EXPECT_FALSE(rig.source->set_mode(mode, error));
  EXPECT_NE(error.find("0 or 180"), std::string::npos) << error;
}

}  // namespace
}  // namespace camstream
