// seqcode_test.cpp - the sequence number survives JPEG and is read back from decoded pixels.
#include "shared/seqcode.hpp"

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "device/capture/pattern_source.hpp"
#include "shared/jpeg.hpp"
#include "shared/yuv.hpp"

namespace camstream {
namespace {

using Case = std::tuple<std::pair<int, int>, std::uint64_t>;

std::string case_name(const ::testing::TestParamInfo<Case>& p) {
  const auto& size = std::get<0>(p.param);
  return std::to_string(size.first) + "x" + std::to_string(size.second) + "_seq" +
         std::to_string(std::get<1>(p.param));
}

class SeqcodeThroughJpeg : public ::testing::TestWithParam<Case> {};

TEST_P(SeqcodeThroughJpeg, ReadBackFromDecodedPixels) {
  const auto [size, seq] = GetParam();
  const auto [width, height] = size;
  Yuv420Image image(width, height);
  PatternSource::render(image, seq);

  JpegEncoder encoder;
  std::vector<std::uint8_t> jpeg(JpegEncoder::max_size(width, height));
  const std::size_t n = encoder.compress(image.view(), 80, jpeg.data(), jpeg.size());
  ASSERT_GT(n, 0u) << encoder.error();
  jpeg.resize(n);

  JpegDecoder decoder;
  Yuv420Image decoded;
  ASSERT_TRUE(decoder.decode(jpeg, decoded)) << decoder.error();
  const auto read = seqcode::read(decoded.y(), decoded.y_stride(), width, height);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(*read, static_cast<std::uint32_t>(seq));
}

INSTANTIATE_TEST_SUITE_P(
    SizesAndSeqs, SeqcodeThroughJpeg,
    ::testing::Combine(::testing::Values(std::pair{320, 240}, std::pair{640, 480},
                                         std::pair{1280, 720}, std::pair{1920, 1080}),
                       ::testing::Values(std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{12345},
                                         std::uint64_t{0xFFFFFFFF}, (std::uint64_t{1} << 32) + 7)),
    case_name);

TEST(Seqcode, TruncatesToTheLow32Bits) {
  Yuv420Image image(320, 240);
  PatternSource::render(image, (std::uint64_t{1} << 32) + 7);
  EXPECT_EQ(seqcode::read(image.y(), image.y_stride(), 320, 240), std::optional<std::uint32_t>(7));
}

TEST(Seqcode, BlankImagesHaveNoCode) {
  for (const std::uint8_t level : {std::uint8_t{0}, std::uint8_t{16}, std::uint8_t{128},
                                   std::uint8_t{235}, std::uint8_t{255}}) {
    std::vector<std::uint8_t> luma(640 * 480, level);
    EXPECT_EQ(seqcode::read(luma.data(), 640, 640, 480), std::nullopt) << "level " << int{level};
  }
}

TEST(Seqcode, DrawReadWithPaddedStride) {
  const int width = 640, height = 480, stride = 704;
  std::vector<std::uint8_t> luma(static_cast<std::size_t>(stride) * height, 128);
  for (const std::uint32_t v : {0u, 1u, 0x80000001u, 0xDEADBEEFu, 0xFFFFFFFFu}) {
    seqcode::draw(luma.data(), stride, width, height, v);
    EXPECT_EQ(seqcode::read(luma.data(), stride, width, height), std::optional<std::uint32_t>(v));
  }
}

TEST(Seqcode, DamagedCodeIsNotMisread) {
  const int width = 640, height = 480;
  std::vector<std::uint8_t> luma(static_cast<std::size_t>(width) * height, 16);
  seqcode::draw(luma.data(), width, width, height, 0x12345678u);
  const seqcode::Layout l = seqcode::layout_for(width, height);
  // Flip one cell of the first row: the complement row now disagrees.
  const int x = l.x0 + 5 * l.cell;
  for (int row = l.y0; row < l.y0 + l.cell; ++row) {
    for (int col = x; col < x + l.cell; ++col) {
      auto& px = luma[static_cast<std::size_t>(row) * width + static_cast<std::size_t>(col)];
      px = px > 128 ? 16 : 235;
    }
  }
  EXPECT_EQ(seqcode::read(luma.data(), width, width, height), std::nullopt);
}

TEST(Seqcode, TooSmallForACode) {
  std::vector<std::uint8_t> luma(320 * 240, 16);
  seqcode::draw(luma.data(), 320, 320, 240, 99);
  EXPECT_EQ(seqcode::read(luma.data(), 320, 319, 240), std::nullopt);
  EXPECT_EQ(seqcode::read(luma.data(), 320, 320, 239), std::nullopt);
}

TEST(Seqcode, LayoutFitsAndAlignsToBlocks) {
  for (const auto& [w, h] : {std::pair{320, 240}, std::pair{640, 480}, std::pair{1280, 720},
                             std::pair{1920, 1080}, std::pair{4096, 4096}, std::pair{322, 242}}) {
    const seqcode::Layout l = seqcode::layout_for(w, h);
    EXPECT_EQ(l.cell % 8, 0) << w << "x" << h;
    EXPECT_EQ(l.y0 % 8, 0) << w << "x" << h;
    EXPECT_LE(l.x0 + seqcode::kBits * l.cell, w) << w << "x" << h;
    EXPECT_LE(l.y0 + 2 * l.cell, h) << w << "x" << h;
  }
}

}  // namespace
}  // namespace camstream
