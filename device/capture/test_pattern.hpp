// test_pattern.hpp - a camera stand-in that generates a moving YUV 4:2:0 picture.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "device/capture/frame_source.hpp"
#include "shared/yuv.hpp"

namespace camstream {

// The picture: eight colour bars (white, yellow, cyan, green, magenta, red, blue, black)
// across the top, a white square sliding over a grey band below them, and the frame's
// sequence number as a seqcode at the bottom. Everything is drawn straight in YUV.
class TestPattern final : public FrameSource {
 public:
  // `fps` 0 means as fast as the sink takes frames. `buffers` bounds the frames in flight.
  TestPattern(int width, int height, double fps, int buffers);
  ~TestPattern() override;

  void start(FrameSink& sink) override;
  void stop() override;
  std::string describe() const override;
  SourceStats stats() const override;

  // Draws frame `seq` into `image` (width x height). Public for tests and benchmarks.
  static void render(Yuv420Image& image, std::uint64_t seq);

  // The eight bar colours, full-range YUV, left to right.
  struct Yuv {
    std::uint8_t y, u, v;
  };
  static const Yuv kBars[8];
  // The bar area is rows [0, bars_height(h)); bar i spans columns [bar_left(w, i), bar_left(w,
  // i+1)).
  static int bars_height(int height);
  static int bar_left(int width, int i);

 private:
  struct Pool;
  void run(FrameSink& sink);

  int width_;
  int height_;
  double fps_;
  std::shared_ptr<Pool> pool_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> captured_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace camstream
