// decoder.hpp - turns received JPEG frames into YUV 4:2:0 planes for the display.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "shared/jpeg.hpp"
#include "viewer/frame.hpp"

namespace camstream {

class FrameDecoder {
 public:
  // Decodes into image(). The JPEG's header is read and checked first (check_declared_size,
  // viewer/decode/jpeg_check.hpp): a JPEG whose declared size disagrees with the size the
  // stream announced, or is implausible for its bytes, is refused before anything is sized for
  // it, and image() keeps the previous picture. A corrupt or truncated JPEG returns false too,
  // and the previous picture in image() is then no longer valid. error() says why in a phrase
  // that follows "skipping frame N: ".
  bool decode(const ReceivedFrame& frame);

  const Yuv420Image& image() const { return image_; }
  const std::string& error() const { return error_; }
  // Frames that did not decode, refused ones included.
  std::uint64_t failures() const { return failures_; }
  // Frames refused by the size check alone.
  std::uint64_t refused() const { return refused_; }

 private:
  JpegDecoder jpeg_;
  // Sized for the largest picture accepted so far and never shrunk, so that alternating sizes
  // cost no allocation after the first frame of each; what is kept is bounded by the checks.
  Yuv420Image image_;
  std::string error_;
  std::uint64_t failures_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace camstream
