// decoder.cpp - JPEG to planes, straight into the image the display uploads.
#include "viewer/decode/decoder.hpp"

#include "viewer/decode/jpeg_check.hpp"

namespace camstream {

bool FrameDecoder::decode(const ReceivedFrame& frame) {
  const auto jpeg = frame.jpeg();
  JpegInfo info;
  if (!jpeg_.read_info(jpeg, info)) {
    error_ = "cannot read its JPEG's header (" + jpeg_.error() + ")";
    ++failures_;
    return false;
  }
  if (!check_declared_size(info, frame.header.width, frame.header.height, jpeg.size(), error_)) {
    ++refused_;
    ++failures_;
    return false;
  }
  if (!jpeg_.decode(jpeg, info, image_)) {
    error_ = "cannot decode its JPEG (" + jpeg_.error() + ")";
    ++failures_;
    return false;
  }
  return true;
}

}  // namespace camstream
