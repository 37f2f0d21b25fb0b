// jpeg_test.cpp - TurboJPEG wrappers: quality of the round trip, corrupt input, other layouts.
#include "shared/jpeg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <span>
#include <vector>

#include <gtest/gtest.h>
#include <turbojpeg.h>

#include "device/capture/pattern_source.hpp"
#include "shared/yuv.hpp"

namespace camstream {
namespace {

std::vector<std::uint8_t> compress(const Yuv420Image& image, int quality) {
  JpegEncoder encoder;
  std::vector<std::uint8_t> out(JpegEncoder::max_size(image.width(), image.height()));
  const std::size_t size = encoder.compress(image.view(), quality, out.data(), out.size());
  EXPECT_GT(size, 0u) << encoder.error();
  EXPECT_TRUE(encoder.error().empty());
  out.resize(size);
  return out;
}

std::vector<std::uint8_t> pattern_jpeg(int width, int height, std::uint64_t seq = 5) {
  Yuv420Image image(width, height);
  PatternSource::render(image, seq);
  return compress(image, 80);
}

// An RGB picture compressed by TurboJPEG itself with the given subsampling: left half red,
// right half blue, so the chroma after decoding can be checked, not only the size.
std::vector<std::uint8_t> rgb_jpeg(int width, int height, int subsampling) {
  std::vector<std::uint8_t> rgb(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) *
                                3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      std::uint8_t* p = &rgb[(static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                              static_cast<std::size_t>(x)) *
                             3];
      const bool left = x < width / 2;
      p[0] = left ? 255 : 0;
      p[1] = 0;
      p[2] = left ? 0 : 255;
    }
  }
  tjhandle tj = tjInitCompress();
  EXPECT_NE(tj, nullptr);
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  const int rc =
      tjCompress2(tj, rgb.data(), width, 0, height, TJPF_RGB, &jpeg, &size, subsampling, 95, 0);
  EXPECT_EQ(rc, 0) << tjGetErrorStr2(tj);
  std::vector<std::uint8_t> out(jpeg, jpeg + size);
  tjFree(jpeg);
  tjDestroy(tj);
  return out;
}

std::string size_name(const ::testing::TestParamInfo<std::pair<int, int>>& p) {
  return std::to_string(p.param.first) + "x" + std::to_string(p.param.second);
}

std::uint8_t at(const std::uint8_t* plane, int stride, int x, int y) {
  return plane[static_cast<std::size_t>(y) * static_cast<std::size_t>(stride) +
               static_cast<std::size_t>(x)];
}

class JpegRoundTrip : public ::testing::TestWithParam<std::pair<int, int>> {};

TEST_P(JpegRoundTrip, PatternSurvivesQuality80) {
  const auto [width, height] = GetParam();
  Yuv420Image original(width, height);
  PatternSource::render(original, 17);
  const auto jpeg = compress(original, 80);
  ASSERT_FALSE(jpeg.empty());

  JpegDecoder decoder;
  JpegInfo info;
  ASSERT_TRUE(decoder.read_info(jpeg, info)) << decoder.error();
  EXPECT_EQ(info.width, width);
  EXPECT_EQ(info.height, height);
  EXPECT_EQ(info.subsampling, proto::Subsampling::k420);

  Yuv420Image decoded;
  ASSERT_TRUE(decoder.decode(jpeg, decoded)) << decoder.error();
  ASSERT_EQ(decoded.width(), width);
  ASSERT_EQ(decoded.height(), height);
  const double db = psnr(original.view(), decoded.view());
  EXPECT_GE(db, 35.0);
  EXPECT_TRUE(std::isfinite(db));  // lossy: a perfect match would mean nothing was compressed
}

INSTANTIATE_TEST_SUITE_P(Sizes, JpegRoundTrip,
                         ::testing::Values(std::pair{640, 480}, std::pair{1280, 720}), size_name);

TEST(Jpeg, HigherQualityIsCloserAndBigger) {
  Yuv420Image original(640, 480);
  PatternSource::render(original, 3);
  const auto low = compress(original, 20);
  const auto high = compress(original, 95);
  EXPECT_LT(low.size(), high.size());
  JpegDecoder decoder;
  Yuv420Image a, b;
  ASSERT_TRUE(decoder.decode(low, a));
  ASSERT_TRUE(decoder.decode(high, b));
  EXPECT_LT(psnr(original.view(), a.view()), psnr(original.view(), b.view()));
}

TEST(Jpeg, CompressRefusesASmallBuffer) {
  Yuv420Image image(320, 240);
  PatternSource::render(image, 0);
  JpegEncoder encoder;
  std::vector<std::uint8_t> out(JpegEncoder::max_size(320, 240) - 1);
  EXPECT_EQ(encoder.compress(image.view(), 80, out.data(), out.size()), 0u);
  EXPECT_FALSE(encoder.error().empty());
}

TEST(Jpeg, EncoderUsesTheGivenStrides) {
  // A view into a wider buffer: the padding must not leak into the picture.
  Yuv420Image packed(320, 240);
  PatternSource::render(packed, 9);
  const int y_stride = 400;
  const int uv_stride = 208;
  std::vector<std::uint8_t> y(static_cast<std::size_t>(y_stride) * 240, 0xEE);
  std::vector<std::uint8_t> u(static_cast<std::size_t>(uv_stride) * 120, 0x11);
  std::vector<std::uint8_t> v(static_cast<std::size_t>(uv_stride) * 120, 0x22);
  for (int row = 0; row < 240; ++row) {
    std::copy_n(packed.y() + row * 320, 320, y.begin() + row * y_stride);
  }
  for (int row = 0; row < 120; ++row) {
    std::copy_n(packed.u() + row * 160, 160, u.begin() + row * uv_stride);
    std::copy_n(packed.v() + row * 160, 160, v.begin() + row * uv_stride);
  }
  const Yuv420View strided{y.data(), u.data(), v.data(), y_stride, uv_stride, 320, 240};
  JpegEncoder encoder;
  std::vector<std::uint8_t> out(JpegEncoder::max_size(320, 240));
  const std::size_t size = encoder.compress(strided, 80, out.data(), out.size());
  ASSERT_GT(size, 0u);
  out.resize(size);
  JpegDecoder decoder;
  Yuv420Image decoded;
  ASSERT_TRUE(decoder.decode(out, decoded));
  EXPECT_GE(psnr(packed.view(), decoded.view()), 35.0);
}

TEST(Jpeg, DecoderRejectsTruncated) {
  auto jpeg = pattern_jpeg(640, 480);
  jpeg.resize(jpeg.size() / 2);
  JpegDecoder decoder;
  Yuv420Image out;
  EXPECT_FALSE(decoder.decode(jpeg, out));
  EXPECT_FALSE(decoder.error().empty());
}

TEST(Jpeg, DecoderRejectsGarbage) {
  std::vector<std::uint8_t> garbage(4096);
  std::uint32_t x = 12345;
  for (auto& b : garbage) {
    x = x * 1103515245u + 12345u;
    b = static_cast<std::uint8_t>(x >> 24);
  }
  JpegDecoder decoder;
  Yuv420Image out;
  EXPECT_FALSE(decoder.decode(garbage, out));
  EXPECT_FALSE(decoder.error().empty());

  // A JPEG start-of-image marker followed by nonsense is no better.
  garbage[0] = 0xFF;
  garbage[1] = 0xD8;
  JpegDecoder decoder2;
  EXPECT_FALSE(decoder2.decode(garbage, out));
  EXPECT_FALSE(decoder2.error().empty());

  JpegDecoder decoder3;
  EXPECT_FALSE(decoder3.decode(std::span<const std::uint8_t>(), out));
  EXPECT_FALSE(decoder3.error().empty());
}

TEST(Jpeg, DecoderRecoversAfterABadFrame) {
  const auto good = pattern_jpeg(320, 240);
  auto bad = good;
  bad.resize(bad.size() / 3);
  JpegDecoder decoder;
  Yuv420Image out;
  EXPECT_FALSE(decoder.decode(bad, out));
  ASSERT_TRUE(decoder.decode(good, out)) << decoder.error();
  EXPECT_EQ(out.width(), 320);
}

TEST(Jpeg, Decodes444ToCorrectSizeAndColour) {
  for (const auto& [width, height] : {std::pair{320, 240}, std::pair{321, 243}}) {
    const auto jpeg = rgb_jpeg(width, height, TJSAMP_444);
    JpegDecoder decoder;
    JpegInfo info;
    ASSERT_TRUE(decoder.read_info(jpeg, info));
    EXPECT_EQ(info.subsampling, proto::Subsampling::k444);
    Yuv420Image out;
    ASSERT_TRUE(decoder.decode(jpeg, out)) << decoder.error();
    ASSERT_EQ(out.width(), width);
    ASSERT_EQ(out.height(), height);
    // Full-range BT.601: red is U 85 V 255, blue U 255 V 107.
    const int cy = chroma_height(height) / 2;
    const int left = chroma_width(width) / 4;
    const int right = chroma_width(width) * 3 / 4;
    EXPECT_NEAR(at(out.u(), out.uv_stride(), left, cy), 85, 6);
    EXPECT_NEAR(at(out.v(), out.uv_stride(), left, cy), 255, 6);
    EXPECT_NEAR(at(out.u(), out.uv_stride(), right, cy), 255, 6);
    EXPECT_NEAR(at(out.v(), out.uv_stride(), right, cy), 107, 6);
    EXPECT_NEAR(at(out.y(), out.y_stride(), width / 4, height / 2), 76, 6);
    EXPECT_NEAR(at(out.y(), out.y_stride(), width * 3 / 4, height / 2), 29, 6);
  }
}

TEST(Jpeg, DecodesGrayscaleWithNeutralChroma) {
  for (const auto& [width, height] : {std::pair{320, 240}, std::pair{333, 201}}) {
    const auto jpeg = rgb_jpeg(width, height, TJSAMP_GRAY);
    JpegDecoder decoder;
    JpegInfo info;
    ASSERT_TRUE(decoder.read_info(jpeg, info));
    EXPECT_EQ(info.subsampling, proto::Subsampling::kGray);
    Yuv420Image out;
    // Dirty the target first: the decoder must set every chroma byte itself.
    out.resize(width, height);
    std::fill(out.u(), out.u() + out.uv_stride() * chroma_height(height), 7);
    std::fill(out.v(), out.v() + out.uv_stride() * chroma_height(height), 7);
    ASSERT_TRUE(decoder.decode(jpeg, out)) << decoder.error();
    ASSERT_EQ(out.width(), width);
    ASSERT_EQ(out.height(), height);
    const std::size_t chroma =
        static_cast<std::size_t>(out.uv_stride()) * static_cast<std::size_t>(chroma_height(height));
    for (std::size_t i = 0; i < chroma; ++i) {
      ASSERT_EQ(out.u()[i], 128) << i;
      ASSERT_EQ(out.v()[i], 128) << i;
    }
    EXPECT_NEAR(at(out.y(), out.y_stride(), width / 4, height / 2), 76, 6);
    EXPECT_NEAR(at(out.y(), out.y_stride(), width * 3 / 4, height / 2), 29, 6);
  }
}

TEST(Jpeg, DecodesOtherLayoutsToCorrectSize) {
  for (const int sub : {TJSAMP_422, TJSAMP_440, TJSAMP_411, TJSAMP_420}) {
    const auto jpeg = rgb_jpeg(322, 242, sub);
    JpegDecoder decoder;
    Yuv420Image out;
    ASSERT_TRUE(decoder.decode(jpeg, out)) << "subsampling " << sub << ": " << decoder.error();
    EXPECT_EQ(out.width(), 322);
    EXPECT_EQ(out.height(), 242);
    EXPECT_NEAR(at(out.v(), out.uv_stride(), 40, 60), 255, 8) << "subsampling " << sub;
    EXPECT_NEAR(at(out.u(), out.uv_stride(), 120, 60), 255, 8) << "subsampling " << sub;
  }
}

TEST(Jpeg, DecoderResizesBetweenFrames) {
  JpegDecoder decoder;
  Yuv420Image out;
  ASSERT_TRUE(decoder.decode(pattern_jpeg(640, 480), out));
  EXPECT_EQ(out.width(), 640);
  ASSERT_TRUE(decoder.decode(pattern_jpeg(320, 240), out));
  EXPECT_EQ(out.width(), 320);
  EXPECT_EQ(out.height(), 240);
}

TEST(Psnr, IdenticalIsInfiniteAndOneOffIsKnown) {
  Yuv420Image a(64, 48), b(64, 48);
  std::fill(a.y(), a.y() + 64 * 48 + 2 * 32 * 24, 100);
  std::fill(b.y(), b.y() + 64 * 48 + 2 * 32 * 24, 100);
  EXPECT_EQ(psnr(a.view(), b.view()), std::numeric_limits<double>::infinity());
  std::fill(b.y(), b.y() + 64 * 48 + 2 * 32 * 24, 101);
  // MSE 1: 10 log10(255^2) = 48.13 dB.
  EXPECT_NEAR(psnr(a.view(), b.view()), 48.13, 0.01);
}

}  // namespace
}  // namespace camstream
