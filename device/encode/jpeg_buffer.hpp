// jpeg_buffer.hpp - memory for one encoded frame: the worst case reserved, only the JPEG kept.
#pragma once

#include <cstddef>
#include <cstdint>

namespace camstream {

// TurboJPEG must be handed a buffer of the worst-case size (tjBufSize: ~2.8 MB at 720p, 50 MB
// at 4096x4096) when it may not reallocate, while a typical JPEG is a few percent of that.
// Anonymous pages cost nothing until written, and shrink_to() unmaps the unused tail in place,
// so a published frame holds only the pages its JPEG uses and nothing is copied.
class JpegBuffer {
 public:
  JpegBuffer() = default;
  // Reserves `capacity` bytes; throws std::bad_alloc when the address space is exhausted.
  explicit JpegBuffer(std::size_t capacity);
  ~JpegBuffer();
  JpegBuffer(JpegBuffer&& other) noexcept;
  JpegBuffer& operator=(JpegBuffer&& other) noexcept;
  JpegBuffer(const JpegBuffer&) = delete;
  JpegBuffer& operator=(const JpegBuffer&) = delete;

  std::uint8_t* get() const { return static_cast<std::uint8_t*>(addr_); }
  // Bytes usable from get(): at least what was asked for, rounded up to whole pages.
  std::size_t capacity() const { return mapped_; }
  // Returns the pages past the first `used` bytes to the system. get() stays valid.
  void shrink_to(std::size_t used);

 private:
  void release();
  void* addr_ = nullptr;
  std::size_t mapped_ = 0;
};

}  // namespace camstream
