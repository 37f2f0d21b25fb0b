// decoder.cpp - JPEG to planes, straight into the image the display uploads.
#include "viewer/decode/decoder.hpp"

namespace camstream {

bool FrameDecoder::decode(const ReceivedFrame& frame) {
  if (!jpeg_.decode(frame.jpeg(), image_)) {
    ++failures_;
    return false;
  }
  return true;
}

}  // namespace camstream
