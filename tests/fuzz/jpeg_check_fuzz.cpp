// jpeg_check_fuzz.cpp - fuzzes camview's JPEG header check and decode (viewer/decode).
//
// The first four input bytes are the size the stream announced (width, height, big-endian;
// 0x0 for an HTTP frame, which announces none), the rest the JPEG. Invariants beyond "no
// crash": a refused frame leaves nothing allocated; a decoded frame has exactly the size its
// header declares and, where one was announced, that size; a decoded frame never declares
// more than kMaxPixelsPerJpegByte pixels a byte; the decoder refuses exactly what
// check_declared_size refuses.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "shared/jpeg.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "viewer/decode/decoder.hpp"
#include "viewer/decode/jpeg_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const auto width = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
  const auto height = static_cast<std::uint16_t>(data[2] << 8 | data[3]);

  camstream::ReceivedFrame frame;
  frame.header.seq = 1;
  frame.header.width = width;
  frame.header.height = height;
  frame.payload.assign(data + 4, data + size);
  frame.header.jpeg_size = static_cast<std::uint32_t>(frame.payload.size());
  const std::span<const std::uint8_t> jpeg = frame.jpeg();

  camstream::JpegDecoder reader;
  camstream::JpegInfo info;
  const bool readable = reader.read_info(jpeg, info);
  std::string reason;
  const bool acceptable =
      readable && camstream::check_declared_size(info, width, height, jpeg.size(), reason);

  camstream::FrameDecoder decoder;
  const bool decoded = decoder.decode(frame);
  FUZZ_CHECK(!decoder.error().empty() || decoded);
  FUZZ_CHECK(decoder.refused() == (readable && !acceptable ? 1u : 0u));
  if (!acceptable) {
    FUZZ_CHECK(!decoded);
    FUZZ_CHECK(decoder.image().width() == 0 && decoder.image().height() == 0);
    return 0;
  }
  if (!decoded) return 0;
  const auto& image = decoder.image();
  FUZZ_CHECK(image.width() == info.width && image.height() == info.height);
  if (width != 0 || height != 0) FUZZ_CHECK(image.width() == width && image.height() == height);
  FUZZ_CHECK(static_cast<std::uint64_t>(image.width()) *
                 static_cast<std::uint64_t>(image.height()) <=
             jpeg.size() * camstream::kMaxPixelsPerJpegByte);
  return 0;
}
