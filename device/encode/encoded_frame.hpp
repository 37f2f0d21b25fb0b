// encoded_frame.hpp - one compressed frame, immutable once published and shared by every client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "device/encode/jpeg_buffer.hpp"
#include "shared/protocol.hpp"

namespace camstream {

struct EncodedFrame {
  proto::FrameHeader header;       // seq, capture time, size, subsampling, JPEG length
  proto::FramePrefixBytes prefix;  // the native message bytes that precede the JPEG
  JpegBuffer data;                 // the JPEG, written once by the encoder
  std::uint64_t encode_start_us = 0;
  std::uint64_t encode_end_us = 0;
  bool still = false;  // a full-size still (RawFrame::still), for whoever asked, not the stream

  std::span<const std::uint8_t> jpeg() const { return {data.get(), header.jpeg_size}; }
};
using EncodedFramePtr = std::shared_ptr<const EncodedFrame>;

// Takes finished frames from the encoders; called on an encoder thread.
class EncodedSink {
 public:
  virtual ~EncodedSink() = default;
  virtual void publish(EncodedFramePtr frame) = 0;
};

}  // namespace camstream
