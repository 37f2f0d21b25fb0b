// image_pool.hpp - reusable pictures for sources that draw their own frames.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "device/capture/frame_source.hpp"
#include "shared/yuv.hpp"

namespace camstream {

// The test pattern and the no-signal picture draw into images that are reused, not
// allocated per frame. A frame made by frame() gives its image back to the pool when the
// last holder lets go, on whatever thread that is, even after the source (and this handle)
// are gone: the images live in shared state. Thread-safe.
class ImagePool {
 public:
  ImagePool() : state_(std::make_shared<State>()) {}

  // Adds `count` new width x height images.
  void add(int count, int width, int height);
  // A free image of that size, or null when none is free. Images of another size (from
  // before the picture changed size) are dropped on the way.
  std::unique_ptr<Yuv420Image> take(int width, int height);
  // A frame over `image`, numbered `seq` and captured at `capture_us`; releasing it returns
  // the image here.
  RawFramePtr frame(std::unique_ptr<Yuv420Image> image, std::uint64_t seq,
                    std::uint64_t capture_us) const;

 private:
  struct State {
    std::mutex mutex;
    std::vector<std::unique_ptr<Yuv420Image>> free;
  };
  std::shared_ptr<State> state_;
};

}  // namespace camstream
