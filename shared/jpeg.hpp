// jpeg.hpp - TurboJPEG wrappers: YUV-plane compression and decompression, with RAII handles.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "shared/protocol.hpp"
#include "shared/yuv.hpp"

namespace camstream {

struct JpegInfo {
  int width = 0;
  int height = 0;
  proto::Subsampling subsampling = proto::Subsampling::k420;
};

// One TurboJPEG compressor. Not thread-safe: give each encoder thread its own.
class JpegEncoder {
 public:
  JpegEncoder();
  ~JpegEncoder();
  JpegEncoder(const JpegEncoder&) = delete;
  JpegEncoder& operator=(const JpegEncoder&) = delete;

  // The largest JPEG that compress() can produce for this size (4:2:0).
  static std::size_t max_size(int width, int height);

  // Compresses the 4:2:0 planes straight into `out` (at least max_size() bytes), with no
  // colour conversion and no reallocation. Returns the JPEG's size, or 0 and sets error().
  std::size_t compress(const Yuv420View& image, int quality, std::uint8_t* out,
                       std::size_t capacity);

  const std::string& error() const { return error_; }

 private:
  void* handle_;
  std::string error_;
};

// One TurboJPEG decompressor. Not thread-safe: one per decoding thread.
class JpegDecoder {
 public:
  JpegDecoder();
  ~JpegDecoder();
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;

  // Reads the JPEG's size and subsampling from its header, without decoding it and without
  // allocating for its picture. Refuses a side over proto::kMaxDimension.
  bool read_info(std::span<const std::uint8_t> jpeg, JpegInfo& info);

  // Decodes into 4:2:0 planes whatever the JPEG's subsampling: 4:2:0 goes straight into
  // `out`, grayscale gets neutral chroma, other layouts have their chroma resampled. A
  // truncated or corrupt JPEG returns false with a message in error(); `out` is then unusable.
  bool decode(std::span<const std::uint8_t> jpeg, Yuv420Image& out);
  // The same with `info` already read from `jpeg` by read_info (and checked by the caller
  // before `out` is sized for it).
  bool decode(std::span<const std::uint8_t> jpeg, const JpegInfo& info, Yuv420Image& out);

  const std::string& error() const { return error_; }

 private:
  void* handle_;
  std::string error_;
  std::vector<std::uint8_t> scratch_;  // planes for non-4:2:0 JPEGs
};

// Peak signal-to-noise ratio over all three planes of two images of the same size, in dB.
double psnr(const Yuv420View& a, const Yuv420View& b);

}  // namespace camstream
