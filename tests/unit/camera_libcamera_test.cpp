// camera_libcamera_test.cpp - a real camera through libcamera; skipped where there is none.
#include <chrono>
#include <condition_variable>
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
    if (frame->capture_us != 0) last_capture_us = frame->capture_us;
    width = frame->planes.width;
    ++frames;
    changed_.notify_all();
    return true;  // released at once, as a fast encoder would
  }
  bool wait_frames(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(20), [&] { return frames >= n; });
  }
  int frames = 0;
  int width = 0;
  std::uint64_t last_capture_us = 0;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
};

TEST(LibcameraCamera, CapturesFramesOnTheMonotonicClock) {
  if (!libcamera_built_in()) GTEST_SKIP() << "this build has no libcamera support";
  std::string listing, error;
  const int cameras = list_libcamera_cameras(listing, error);
  if (cameras <= 0) GTEST_SKIP() << "no camera on this machine (" << error << ")";
  auto device = make_libcamera_device("", error);
  ASSERT_TRUE(device) << error;
  CameraSourceOptions options;
  options.settings.width = 640;
  options.settings.height = 480;
  options.settings.fps = 15;
  CameraSource source(std::move(device), options);
  ASSERT_TRUE(source.open(error)) << error;
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

}  // namespace
}  // namespace camstream
