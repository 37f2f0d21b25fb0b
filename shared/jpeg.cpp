// jpeg.cpp - TurboJPEG wrappers.
#include "shared/jpeg.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <vector>

#include <turbojpeg.h>

namespace camstream {
namespace {

tjhandle as_tj(void* h) {
  return static_cast<tjhandle>(h);
}

}  // namespace

JpegEncoder::JpegEncoder() : handle_(tjInitCompress()) {
  if (handle_ == nullptr) throw std::bad_alloc();
}

JpegEncoder::~JpegEncoder() {
  tjDestroy(as_tj(handle_));
}

std::size_t JpegEncoder::max_size(int width, int height) {
  return static_cast<std::size_t>(tjBufSize(width, height, TJSAMP_420));
}

std::size_t JpegEncoder::compress(const Yuv420View& image, int quality, std::uint8_t* out,
                                  std::size_t capacity) {
  if (capacity < max_size(image.width, image.height)) {
    error_ = "output buffer smaller than the worst-case JPEG size";
    return 0;
  }
  const unsigned char* planes[3] = {image.y, image.u, image.v};
  const int strides[3] = {image.y_stride, image.uv_stride, image.uv_stride};
  unsigned char* dst = out;
  unsigned long size = static_cast<unsigned long>(capacity);
  if (tjCompressFromYUVPlanes(as_tj(handle_), planes, image.width, strides, image.height,
                              TJSAMP_420, &dst, &size, quality, TJFLAG_NOREALLOC) != 0) {
    error_ = tjGetErrorStr2(as_tj(handle_));
    return 0;
  }
  return static_cast<std::size_t>(size);
}

JpegDecoder::JpegDecoder() : handle_(tjInitDecompress()) {
  if (handle_ == nullptr) throw std::bad_alloc();
}

JpegDecoder::~JpegDecoder() {
  tjDestroy(as_tj(handle_));
}

bool JpegDecoder::read_info(std::span<const std::uint8_t> jpeg, JpegInfo& info) {
  int width = 0, height = 0, subsamp = 0, colorspace = 0;
  if (jpeg.empty() || jpeg.size() > std::numeric_limits<unsigned long>::max()) {
    error_ = "empty JPEG";
    return false;
  }
  if (tjDecompressHeader3(as_tj(handle_), jpeg.data(), static_cast<unsigned long>(jpeg.size()),
                          &width, &height, &subsamp, &colorspace) != 0) {
    error_ = tjGetErrorStr2(as_tj(handle_));
    return false;
  }
  if (width <= 0 || height <= 0 || width > proto::kMaxDimension || height > proto::kMaxDimension) {
    error_ = "the JPEG says " + std::to_string(width) + "x" + std::to_string(height) +
             ", over the limit of " + std::to_string(proto::kMaxDimension) + " on a side";
    return false;
  }
  if (subsamp < TJSAMP_444 || subsamp > TJSAMP_411) {
    error_ = "JPEG has an unsupported chroma layout";
    return false;
  }
  info.width = width;
  info.height = height;
  info.subsampling = static_cast<proto::Subsampling>(subsamp);
  return true;
}

bool JpegDecoder::decode(std::span<const std::uint8_t> jpeg, Yuv420Image& out) {
  JpegInfo info;
  if (!read_info(jpeg, info)) return false;
  return decode(jpeg, info, out);
}

bool JpegDecoder::decode(std::span<const std::uint8_t> jpeg, const JpegInfo& info,
                         Yuv420Image& out) {
  if (out.width() != info.width || out.height() != info.height) out.resize(info.width, info.height);
  const auto size = static_cast<unsigned long>(jpeg.size());
  // Warnings (such as a truncated stream) fail the frame: a half-grey picture is not shown.
  // LIMITSCANS refuses a progressive JPEG of over 500 scans: each scan passes over the whole
  // picture again, so a small file of thousands of scans would hold camview's main thread for
  // seconds (no encoder makes more than about ten).
  const int flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS;

  if (info.subsampling == proto::Subsampling::k420 ||
      info.subsampling == proto::Subsampling::kGray) {
    unsigned char* planes[3] = {out.y(), out.u(), out.v()};
    int strides[3] = {out.y_stride(), out.uv_stride(), out.uv_stride()};
    if (tjDecompressToYUVPlanes(as_tj(handle_), jpeg.data(), size, planes, info.width, strides,
                                info.height, flags) != 0) {
      error_ = tjGetErrorStr2(as_tj(handle_));
      return false;
    }
    if (info.subsampling == proto::Subsampling::kGray) {
      const std::size_t chroma = static_cast<std::size_t>(out.uv_stride()) *
                                 static_cast<std::size_t>(chroma_height(info.height));
      std::memset(out.u(), 128, chroma);
      std::memset(out.v(), 128, chroma);
    }
    return true;
  }

  // Other layouts: decode to their native chroma planes, then resample to 4:2:0.
  const int sub = static_cast<int>(info.subsampling);
  const int cw = tjPlaneWidth(1, info.width, sub);
  const int ch = tjPlaneHeight(1, info.height, sub);
  const std::size_t chroma = static_cast<std::size_t>(cw) * static_cast<std::size_t>(ch);
  scratch_.resize(2 * chroma);
  unsigned char* planes[3] = {out.y(), scratch_.data(), scratch_.data() + chroma};
  int strides[3] = {out.y_stride(), cw, cw};
  if (tjDecompressToYUVPlanes(as_tj(handle_), jpeg.data(), size, planes, info.width, strides,
                              info.height, flags) != 0) {
    error_ = tjGetErrorStr2(as_tj(handle_));
    return false;
  }
  const int ow = chroma_width(info.width);
  const int oh = chroma_height(info.height);
  for (int plane = 0; plane < 2; ++plane) {
    const std::uint8_t* src = planes[plane + 1];
    std::uint8_t* dst = plane == 0 ? out.u() : out.v();
    for (int y = 0; y < oh; ++y) {
      const int sy = std::min(ch - 1, y * ch / oh);
      for (int x = 0; x < ow; ++x) {
        const int sx = std::min(cw - 1, x * cw / ow);
        dst[static_cast<std::size_t>(y) * static_cast<std::size_t>(ow) +
            static_cast<std::size_t>(x)] =
            src[static_cast<std::size_t>(sy) * static_cast<std::size_t>(cw) +
                static_cast<std::size_t>(sx)];
      }
    }
  }
  return true;
}

double psnr(const Yuv420View& a, const Yuv420View& b) {
  double sse = 0;
  std::size_t count = 0;
  auto plane = [&](const std::uint8_t* pa, int sa, const std::uint8_t* pb, int sb, int w, int h) {
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const double d = static_cast<double>(pa[y * sa + x]) - static_cast<double>(pb[y * sb + x]);
        sse += d * d;
      }
    }
    count += static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
  };
  plane(a.y, a.y_stride, b.y, b.y_stride, a.width, a.height);
  plane(a.u, a.uv_stride, b.u, b.uv_stride, chroma_width(a.width), chroma_height(a.height));
  plane(a.v, a.uv_stride, b.v, b.uv_stride, chroma_width(a.width), chroma_height(a.height));
  if (sse == 0) return std::numeric_limits<double>::infinity();
  const double mse = sse / static_cast<double>(count);
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

}  // namespace camstream
