// camera_buffers_test.cpp - mapping camera buffers by fd and finding the planes at their offsets.
#include "device/capture/camera_buffers.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

namespace camstream {
namespace {

// A memfd of `size` bytes that closes itself; stands in for a dmabuf.
class MemFd {
 public:
  explicit MemFd(std::size_t size) : fd_(memfd_create("camera-buffer", MFD_CLOEXEC)) {
    EXPECT_GE(fd_, 0);
    EXPECT_EQ(ftruncate(fd_, static_cast<off_t>(size)), 0);
  }
  ~MemFd() { close(fd_); }
  MemFd(const MemFd&) = delete;
  MemFd& operator=(const MemFd&) = delete;
  int fd() const { return fd_; }
  void put(std::size_t offset, std::uint8_t byte) const {
    ASSERT_EQ(pwrite(fd_, &byte, 1, static_cast<off_t>(offset)), 1);
  }

 private:
  int fd_;
};

constexpr int kW = 64, kH = 48, kStride = 80;
constexpr std::size_t kLuma = kStride * kH;
constexpr std::size_t kChroma = (kStride / 2) * (kH / 2);

CameraStream stream_of(PixelLayout layout, std::vector<std::vector<CameraPlane>> buffers) {
  CameraStream s;
  s.width = kW;
  s.height = kH;
  s.stride = kStride;
  s.layout = layout;
  s.buffers = std::move(buffers);
  return s;
}

TEST(CameraBuffers, PlanesSharingOneFdAtOffsetsAreMappedOnce) {
  // Like a Pi ISP buffer: one dmabuf per buffer, three planes at offsets with gaps between.
  const std::size_t u_off = kLuma + 4096, v_off = u_off + kChroma + 100;
  std::vector<std::unique_ptr<MemFd>> fds;
  std::vector<std::vector<CameraPlane>> buffers;
  for (int b = 0; b < 3; ++b) {
    fds.push_back(std::make_unique<MemFd>(v_off + kChroma));
    const int fd = fds.back()->fd();
    fds.back()->put(0, static_cast<std::uint8_t>(10 + b));
    fds.back()->put(u_off, static_cast<std::uint8_t>(20 + b));
    fds.back()->put(v_off, static_cast<std::uint8_t>(30 + b));
    buffers.push_back({{fd, 0, kLuma}, {fd, u_off, kChroma}, {fd, v_off, kChroma}});
  }
  CameraBuffers mapped;
  std::string error;
  ASSERT_TRUE(mapped.map(stream_of(PixelLayout::kYuv420, buffers), error)) << error;
  EXPECT_EQ(mapped.size(), 3u);
  EXPECT_EQ(mapped.mappings(), 3u) << "one mapping per distinct fd";
  for (std::size_t b = 0; b < 3; ++b) {
    const auto& p = mapped.planes(b);
    EXPECT_EQ(p.y[0], 10 + b);
    EXPECT_EQ(p.u[0], 20 + b);
    EXPECT_EQ(p.v[0], 30 + b);
    EXPECT_EQ(p.u - p.y, static_cast<std::ptrdiff_t>(u_off));
    EXPECT_EQ(p.v - p.y, static_cast<std::ptrdiff_t>(v_off));
  }
}

TEST(CameraBuffers, PlanesInSeparateFdsAreMappedEach) {
  MemFd y(kLuma + 16), u(kChroma + 8192), v(kChroma);
  u.put(8192, 0x55);
  v.put(0, 0x66);
  CameraBuffers mapped;
  std::string error;
  ASSERT_TRUE(
      mapped.map(stream_of(PixelLayout::kYuv420,
                           {{{y.fd(), 16, kLuma}, {u.fd(), 8192, kChroma}, {v.fd(), 0, kChroma}}}),
                 error))
      << error;
  EXPECT_EQ(mapped.mappings(), 3u);
  EXPECT_EQ(mapped.planes(0).u[0], 0x55);
  EXPECT_EQ(mapped.planes(0).v[0], 0x66);
}

TEST(CameraBuffers, OnePlaneHasChromaAfterLuma) {
  MemFd fd(kLuma + 2 * kChroma);
  fd.put(kLuma, 0x12);
  fd.put(kLuma + kChroma, 0x34);
  CameraBuffers mapped;
  std::string error;
  ASSERT_TRUE(
      mapped.map(stream_of(PixelLayout::kYuv420, {{{fd.fd(), 0, kLuma + 2 * kChroma}}}), error))
      << error;
  EXPECT_EQ(mapped.planes(0).u[0], 0x12);
  EXPECT_EQ(mapped.planes(0).v[0], 0x34);
}

TEST(CameraBuffers, Nv12HasInterleavedChromaAndNoV) {
  const std::size_t uv = static_cast<std::size_t>(kStride) * (kH / 2);
  MemFd fd(kLuma + uv);
  fd.put(kLuma, 0x77);
  CameraBuffers mapped;
  std::string error;
  ASSERT_TRUE(mapped.map(
      stream_of(PixelLayout::kNv12, {{{fd.fd(), 0, kLuma}, {fd.fd(), kLuma, uv}}}), error))
      << error;
  EXPECT_EQ(mapped.mappings(), 1u);
  EXPECT_EQ(mapped.planes(0).u[0], 0x77);
  EXPECT_EQ(mapped.planes(0).v, nullptr);
}

TEST(CameraBuffers, RefusesPlanesTooSmallForThePicture) {
  MemFd fd(kLuma + 2 * kChroma);
  CameraBuffers mapped;
  std::string error;
  EXPECT_FALSE(mapped.map(stream_of(PixelLayout::kYuv420, {{{fd.fd(), 0, kLuma},
                                                            {fd.fd(), kLuma, kChroma / 2},
                                                            {fd.fd(), kLuma + kChroma, kChroma}}}),
                          error));
  EXPECT_NE(error.find("too few"), std::string::npos) << error;
  EXPECT_EQ(mapped.mappings(), 0u);
}

TEST(CameraBuffers, RefusesAnUnexpectedPlaneCountAndBadFds) {
  MemFd fd(kLuma + 2 * kChroma);
  CameraBuffers mapped;
  std::string error;
  EXPECT_FALSE(mapped.map(
      stream_of(PixelLayout::kYuv420, {{{fd.fd(), 0, kLuma}, {fd.fd(), kLuma, kChroma}}}), error));
  EXPECT_NE(error.find("2 planes"), std::string::npos) << error;
  EXPECT_FALSE(
      mapped.map(stream_of(PixelLayout::kYuv420, {{{-1, 0, kLuma + 2 * kChroma}}}), error));
  EXPECT_FALSE(mapped.map(
      stream_of(PixelLayout::kYuv420, {{{fd.fd(), SIZE_MAX - 10, kLuma + 2 * kChroma}}}), error));
}

TEST(CameraBuffers, SplitChromaSeparatesUAndV) {
  // Two rows of three U/V pairs with two bytes of padding a row.
  const std::uint8_t uv[] = {1, 2, 3, 4, 5, 6, 0, 0, 7, 8, 9, 10, 11, 12, 0, 0};
  std::uint8_t u[6] = {}, v[6] = {};
  split_chroma(uv, 8, 3, 2, u, v);
  EXPECT_EQ(std::vector<std::uint8_t>(u, u + 6), (std::vector<std::uint8_t>{1, 3, 5, 7, 9, 11}));
  EXPECT_EQ(std::vector<std::uint8_t>(v, v + 6), (std::vector<std::uint8_t>{2, 4, 6, 8, 10, 12}));
}

}  // namespace
}  // namespace camstream
