// camera_buffers.hpp - camera buffers mapped once, and the YUV 4:2:0 planes found inside them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "device/capture/camera_device.hpp"
#include "shared/yuv.hpp"

namespace camstream {

// The buffers of one configured stream, mapped read-only for as long as this object lives.
// Each distinct fd of a buffer is mapped once, from 0 over the extent its planes reach, and
// every plane pointer is that mapping plus the plane's offset: planes that share one dmabuf
// at different offsets share one mapping.
class CameraBuffers {
 public:
  CameraBuffers() = default;
  ~CameraBuffers();
  CameraBuffers(const CameraBuffers&) = delete;
  CameraBuffers& operator=(const CameraBuffers&) = delete;

  // Maps every buffer of `stream` and checks that its planes hold a width x height picture of
  // the stream's layout: one plane (chroma follows luma), two (NV12) or three (YUV420). False
  // with a sentence in `error` otherwise, and then nothing stays mapped.
  bool map(const CameraStream& stream, std::string& error);

  std::size_t size() const { return buffers_.size(); }
  // How many mmap() calls map() made: one per distinct fd per buffer.
  std::size_t mappings() const { return mappings_.size(); }

  // Buffer i's planes. For NV12, `u` is the interleaved chroma plane and `v` is null.
  struct Planes {
    const std::uint8_t* y = nullptr;
    const std::uint8_t* u = nullptr;
    const std::uint8_t* v = nullptr;
  };
  const Planes& planes(std::size_t i) const { return buffers_[i]; }

 private:
  struct Mapping {
    void* base;
    std::size_t length;
  };
  void unmap();

  std::vector<Mapping> mappings_;
  std::vector<Planes> buffers_;
};

// Splits NV12's interleaved chroma (`stride` bytes a row, `width` x `height` pairs) into the
// separate U and V planes TurboJPEG takes, each `width` bytes a row.
void split_chroma(const std::uint8_t* uv, int stride, int width, int height, std::uint8_t* u,
                  std::uint8_t* v);

}  // namespace camstream
