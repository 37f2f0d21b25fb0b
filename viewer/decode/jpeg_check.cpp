// jpeg_check.cpp - a JPEG's declared size against the stream's announced size and its own bytes.
#include "viewer/decode/jpeg_check.hpp"

namespace camstream {
namespace {

std::string size_text(std::uint64_t width, std::uint64_t height) {
  return std::to_string(width) + "x" + std::to_string(height);
}

}  // namespace

bool check_declared_size(const JpegInfo& declared, std::uint16_t announced_width,
                         std::uint16_t announced_height, std::size_t jpeg_bytes,
                         std::string& reason) {
  const auto width = static_cast<std::uint64_t>(declared.width);
  const auto height = static_cast<std::uint64_t>(declared.height);
  const bool announced = announced_width != 0 || announced_height != 0;
  if (announced && (width != announced_width || height != announced_height)) {
    reason = "its JPEG says " + size_text(width, height) + " but the stream announced " +
             size_text(announced_width, announced_height) + "; refused before decoding";
    return false;
  }
  // Both sides are at most kMaxDimension and jpeg_bytes is a buffer's size: no overflow.
  if (width * height > static_cast<std::uint64_t>(jpeg_bytes) * kMaxPixelsPerJpegByte) {
    reason = "its JPEG says " + size_text(width, height) + " in only " +
             std::to_string(jpeg_bytes) + " bytes, more than " +
             std::to_string(kMaxPixelsPerJpegByte) +
             " pixels a byte; refused before decoding (a decompression bomb?)";
    return false;
  }
  return true;
}

}  // namespace camstream
