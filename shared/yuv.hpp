// yuv.hpp - planar YUV 4:2:0 images: a non-owning view and an owning image.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace camstream {

// Three planes of 8-bit full-range (JFIF) YUV 4:2:0. Chroma planes are (width+1)/2 by
// (height+1)/2. The view does not own the memory; whoever hands it out keeps it alive.
struct Yuv420View {
  const std::uint8_t* y = nullptr;
  const std::uint8_t* u = nullptr;
  const std::uint8_t* v = nullptr;
  int y_stride = 0;
  int uv_stride = 0;
  int width = 0;
  int height = 0;
};

inline int chroma_width(int width) {
  return (width + 1) / 2;
}
inline int chroma_height(int height) {
  return (height + 1) / 2;
}

// An owning, tightly packed YUV 4:2:0 image in one allocation.
class Yuv420Image {
 public:
  Yuv420Image() = default;
  Yuv420Image(int width, int height) { resize(width, height); }

  void resize(int width, int height) {
    width_ = width;
    height_ = height;
    const std::size_t luma = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
    const std::size_t chroma = static_cast<std::size_t>(chroma_width(width)) *
                               static_cast<std::size_t>(chroma_height(height));
    data_.resize(luma + 2 * chroma);
    u_offset_ = luma;
    v_offset_ = luma + chroma;
  }

  int width() const { return width_; }
  int height() const { return height_; }
  int y_stride() const { return width_; }
  int uv_stride() const { return chroma_width(width_); }
  std::uint8_t* y() { return data_.data(); }
  std::uint8_t* u() { return data_.data() + u_offset_; }
  std::uint8_t* v() { return data_.data() + v_offset_; }
  const std::uint8_t* y() const { return data_.data(); }
  const std::uint8_t* u() const { return data_.data() + u_offset_; }
  const std::uint8_t* v() const { return data_.data() + v_offset_; }

  Yuv420View view() const {
    return Yuv420View{y(), u(), v(), y_stride(), uv_stride(), width_, height_};
  }

 private:
  int width_ = 0;
  int height_ = 0;
  std::size_t u_offset_ = 0;
  std::size_t v_offset_ = 0;
  std::vector<std::uint8_t> data_;
};

}  // namespace camstream
