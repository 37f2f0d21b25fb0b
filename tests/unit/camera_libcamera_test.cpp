// camera_libcamera_test.cpp - a real camera through libcamera; skipped where there is none.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "device/capture/camera_source.hpp"
#include "device/capture/libcamera_device.hpp"
#include "shared/clock.hpp"

namespace camstream {
namespace {

class CountingSink final : public FrameSink {
 public:
  bool offer(RawFramePtr frame) override {
    std::lock_guard lock(mutex_);
    if (frame->still) {
      still_width = frame->planes.width;
      ++stills;
    } else {
      if (frame->capture_us != 0) last_capture_us = frame->capture_us;
      width = frame->planes.width;
      ++frames;
    }
    changed_.notify_all();
    return true;  // released at once, as a fast encoder would
  }
  bool wait_frames(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(20), [&] { return frames >= n; });
  }
  bool wait_still() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(20), [&] { return stills > 0; });
  }
  int count() {
    std::lock_guard lock(mutex_);
    return frames;
  }
  int frames = 0;
  int width = 0;
  int stills = 0;
  int still_width = 0;
  std::uint64_t last_capture_us = 0;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
};

// The first camera at 640x480 and 15 fps, opened; null with the reason to skip in `skip` when
// this build or machine has no camera (a camera that is there but fails to open fails the test).
std::unique_ptr<CameraSource> open_first_camera(std::string& skip) {
  if (!libcamera_built_in()) {
    skip = "this build has no libcamera support";
    return nullptr;
  }
  std::string listing, error;
  if (list_libcamera_cameras(listing, error) <= 0) {
    skip = "no camera on this machine (" + error + ")";
    return nullptr;
  }
  auto device = make_libcamera_device("", error);
  EXPECT_TRUE(device) << error;
  if (!device) return nullptr;
  CameraSourceOptions options;
  options.settings.width = 640;
  options.settings.height = 480;
  options.settings.fps = 15;
  auto source = std::make_unique<CameraSource>(std::move(device), options);
  EXPECT_TRUE(source->open(error)) << error;
  return source;
}

TEST(LibcameraCamera, CapturesFramesOnTheMonotonicClock) {
  std::string skip;
  const std::unique_ptr<CameraSource> camera = open_first_camera(skip);
  if (!skip.empty()) GTEST_SKIP() << skip;
  ASSERT_TRUE(camera && !HasFailure());
  CameraSource& source = *camera;
  CountingSink sink;
  source.start(sink);
  const bool got = sink.wait_frames(10);
  // While it runs: stop() closes the camera, and a closed camera has no signal.
  const bool signal = source.camera_stats().signal;
  source.stop();
  ASSERT_TRUE(got) << "fewer than 10 frames from " << source.describe();
  EXPECT_EQ(sink.width, source.width());
  EXPECT_TRUE(signal);
  // The sensor timestamp is on our clock: it is a recent moment, not some other epoch.
  const std::uint64_t now = monotonic_us();
  EXPECT_LE(sink.last_capture_us, now);
  EXPECT_GT(sink.last_capture_us, now - 30'000'000);
}

// The control API's camera side on whatever camera there is (the virtual one in
// unit_libcamera_virtual): controls listed with defaults, one set while streaming, a still.
TEST(LibcameraCamera, ListsAndSetsControlsAndMakesAStill) {
  std::string skip, error;
  const std::unique_ptr<CameraSource> camera = open_first_camera(skip);
  if (!skip.empty()) GTEST_SKIP() << skip;
  ASSERT_TRUE(camera && !HasFailure());
  CameraSource& source = *camera;
  EXPECT_FALSE(source.sizes().empty());
  const auto controls = source.camera_controls();
  ASSERT_FALSE(controls.empty()) << source.describe() << " lists no controls";
  const CameraControlState* settable = nullptr;
  for (const CameraControlState& c : controls) {
    if (c.range.name == "FrameDurationLimits") {
      EXPECT_EQ(c.range.read_only, "set by fps");
      EXPECT_EQ(c.value, (std::vector<double>{66667, 66667}));
    }
    if (!c.range.labels.empty()) {
      EXPECT_EQ(c.range.labels.size(), c.range.values.size()) << c.range.name;
    }
    if (!settable && c.range.read_only.empty() && !c.value.empty() &&
        c.range.kind != ControlRange::Kind::kUnsupported)
      settable = &c;
  }
  CountingSink sink;
  source.start(sink);
  ASSERT_TRUE(sink.wait_frames(3));
  if (settable) {
    // Its own default (or current value) again: accepted and applied without a hitch.
    ASSERT_TRUE(source.set_camera_controls({{settable->range.name, settable->value}}, error))
        << error;
    const int before = sink.count();
    EXPECT_TRUE(sink.wait_frames(before + 3))
        << "frames stopped after setting " << settable->range.name;
  }
  const auto [still_w, still_h] = source.still_size();
  ASSERT_GT(still_w, 0);
  ASSERT_TRUE(source.request_still(error)) << error;
  const bool still = sink.wait_still();
  const int before = sink.count();
  const bool after = sink.wait_frames(before + 3);
  source.stop();
  ASSERT_TRUE(still) << "no still from " << source.describe();
  EXPECT_EQ(sink.still_width, still_w);
  EXPECT_TRUE(after) << "the stream did not go on after the still";
  EXPECT_EQ(sink.width, 640) << "the stream keeps its size";
  EXPECT_EQ(source.camera_stats().lost, 0u);
}

}  // namespace
}  // namespace camstream
