// frame.hpp - a frame as camview received it: the network side fills it, decode reads it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "shared/protocol.hpp"

namespace camstream {

// Both connections produce it (the native one keeps the frame header in front of the JPEG,
// HTTP gives the bare JPEG), so the decoder needs neither of them.
struct ReceivedFrame {
  // Native: the frame header as received, whose width and height the JPEG must match. HTTP:
  // seq and jpeg_size only; width and height stay 0, for HTTP announces no size.
  proto::FrameHeader header;
  std::vector<std::uint8_t> payload;  // as read off the wire
  std::size_t jpeg_offset = 0;        // where the JPEG starts inside payload
  std::uint64_t received_us = 0;      // viewer's monotonic clock when the last byte arrived

  std::span<const std::uint8_t> jpeg() const {
    return {payload.data() + jpeg_offset, payload.size() - jpeg_offset};
  }
};

}  // namespace camstream
