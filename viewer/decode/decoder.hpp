// decoder.hpp - turns received JPEG frames into YUV 4:2:0 planes for the display.
#pragma once

#include <cstdint>
#include <string>

#include "shared/jpeg.hpp"
#include "viewer/frame.hpp"

namespace camstream {

class FrameDecoder {
 public:
  // Decodes into image(). A corrupt or truncated JPEG returns false with error() set; the
  // previous picture in image() is then no longer valid.
  bool decode(const ReceivedFrame& frame);

  const Yuv420Image& image() const { return image_; }
  const std::string& error() const { return jpeg_.error(); }
  std::uint64_t failures() const { return failures_; }

 private:
  JpegDecoder jpeg_;
  Yuv420Image image_;
  std::uint64_t failures_ = 0;
};

}  // namespace camstream
