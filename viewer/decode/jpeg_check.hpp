// jpeg_check.hpp - the picture size a received JPEG declares, checked before camview allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "shared/jpeg.hpp"

namespace camstream {

// A JPEG may declare at most this many pixels per byte it takes. Huffman coding, the only
// entropy coding MJPEG servers use, spends at least one bit on every 8x8 block of each
// component a scan codes (the block's DC coefficient, progressive JPEGs included), and every
// encoder codes the luma, whose blocks cover every 64 pixels: so no such JPEG exceeds 64 pixels
// per bit, 512 per byte, before its headers are even counted. Real frames are far below that:
// a flat grey 4:2:0 frame from libjpeg-turbo's standard tables is 64 pixels per byte, a camera
// frame at quality 80 about 5 to 20. Only arithmetic coding, which no MJPEG server sends, goes
// further. A header that claims more is a decompression bomb: before this check, a 6.7 KB JPEG
// saying 8192x8192 made camview allocate 96 MiB of planes before its data proved short.
inline constexpr std::uint64_t kMaxPixelsPerJpegByte = 512;

// Whether camview may allocate the picture a frame's JPEG declares. `declared` is what
// JpegDecoder::read_info read from the frame's `jpeg_bytes` bytes of JPEG (within
// proto::kMaxDimension on each side, which read_info checks). `announced_width` and
// `announced_height` are the size the stream announced for the frame: the native protocol's
// frame header, which the JPEG must match; 0 and 0 where the stream announces none (HTTP).
// Every JPEG must also keep within kMaxPixelsPerJpegByte. On refusal returns false and sets
// `reason` to a sentence naming the sizes. Pure: any thread.
bool check_declared_size(const JpegInfo& declared, std::uint16_t announced_width,
                         std::uint16_t announced_height, std::size_t jpeg_bytes,
                         std::string& reason);

}  // namespace camstream
