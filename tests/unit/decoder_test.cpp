// decoder_test.cpp - camview's JPEG decoding of received frames: good ones, broken ones, counts,
// and JPEGs whose header lies about their size.
#include "viewer/decode/decoder.hpp"

#include <algorithm>
#include <optional>

#include <gtest/gtest.h>

#include "shared/seqcode.hpp"
#include "tests/unit/viewer_helpers.hpp"

namespace camstream {
namespace {

TEST(FrameDecoder, CountsFailuresAndKeepsGoing) {
  const ReceivedFrame good = testing::received_frame(12, 320, 240);
  ReceivedFrame bad = good;
  bad.payload.resize(bad.payload.size() / 2);

  FrameDecoder decoder;
  EXPECT_FALSE(decoder.decode(bad));
  EXPECT_FALSE(decoder.error().empty());
  EXPECT_EQ(decoder.failures(), 1u);
  EXPECT_EQ(decoder.refused(), 0u);
  ASSERT_TRUE(decoder.decode(good)) << decoder.error();
  EXPECT_EQ(decoder.failures(), 1u);
  EXPECT_EQ(decoder.image().width(), 320);
  EXPECT_EQ(decoder.image().height(), 240);
  EXPECT_EQ(seqcode::read(decoder.image().y(), decoder.image().y_stride(), 320, 240),
            std::optional<std::uint32_t>(12));
}

// A real JPEG of 320x240 pixels whose frame header (SOF) is rewritten to say width x height:
// a few kilobytes that would make a trusting decoder size planes for the lie. (The test
// pattern draws nothing smaller.)
std::vector<std::uint8_t> lying_jpeg(int width, int height) {
  const auto encoded = testing::make_encoded_frame(1, 320, 240);
  std::vector<std::uint8_t> jpeg(encoded->jpeg().begin(), encoded->jpeg().end());
  // SOF0: FF C0, length (2), precision (1), height (2), width (2).
  const std::uint8_t sof[] = {0xff, 0xc0};
  const auto at = std::search(jpeg.begin(), jpeg.end(), std::begin(sof), std::end(sof));
  EXPECT_NE(at, jpeg.end());
  const auto i = static_cast<std::size_t>(at - jpeg.begin());
  jpeg[i + 5] = static_cast<std::uint8_t>(height >> 8);
  jpeg[i + 6] = static_cast<std::uint8_t>(height);
  jpeg[i + 7] = static_cast<std::uint8_t>(width >> 8);
  jpeg[i + 8] = static_cast<std::uint8_t>(width);
  return jpeg;
}

// As the native connection hands a frame over: header announcing a size, then the JPEG.
ReceivedFrame native_frame(std::uint64_t seq, std::uint16_t width, std::uint16_t height,
                           const std::vector<std::uint8_t>& jpeg) {
  ReceivedFrame frame;
  frame.header.seq = seq;
  frame.header.width = width;
  frame.header.height = height;
  frame.header.jpeg_size = static_cast<std::uint32_t>(jpeg.size());
  frame.payload.assign(proto::kFrameHeaderSize, 0);
  frame.payload.insert(frame.payload.end(), jpeg.begin(), jpeg.end());
  frame.jpeg_offset = proto::kFrameHeaderSize;
  return frame;
}

// As the HTTP connection hands a part over: no size announced, the bare JPEG.
ReceivedFrame http_frame(std::uint64_t seq, const std::vector<std::uint8_t>& jpeg) {
  ReceivedFrame frame;
  frame.header.seq = seq;
  frame.header.jpeg_size = static_cast<std::uint32_t>(jpeg.size());
  frame.payload = jpeg;
  return frame;
}

TEST(FrameDecoder, RefusesALyingHeaderBeforeAllocating) {
  const auto bomb = lying_jpeg(8192, 8192);
  // Small enough to break the bound by far: 8192x8192 needs at least 128 KiB.
  ASSERT_LT(bomb.size(), 32u * 1024);

  FrameDecoder decoder;
  ASSERT_TRUE(decoder.decode(testing::received_frame(1, 320, 240))) << decoder.error();
  const std::uint8_t* planes = decoder.image().y();

  // Native, the header announcing the real size; native, the header telling the same lie;
  // HTTP, nothing announced. Each is refused by the size check, not by a failed decode.
  const ReceivedFrame lies[] = {native_frame(2, 320, 240, bomb), native_frame(3, 8192, 8192, bomb),
                                http_frame(4, bomb)};
  std::uint64_t refused = 0;
  for (const ReceivedFrame& lie : lies) {
    EXPECT_FALSE(decoder.decode(lie)) << lie.header.seq;
    EXPECT_EQ(decoder.refused(), ++refused) << decoder.error();
    EXPECT_NE(decoder.error().find("8192x8192"), std::string::npos) << decoder.error();
    EXPECT_NE(decoder.error().find("refused before decoding"), std::string::npos);
    // Nothing was sized for the lie: the previous picture is still there, where it was.
    EXPECT_EQ(decoder.image().width(), 320);
    EXPECT_EQ(decoder.image().height(), 240);
    EXPECT_EQ(decoder.image().y(), planes);
  }
  EXPECT_EQ(seqcode::read(decoder.image().y(), decoder.image().y_stride(), 320, 240),
            std::optional<std::uint32_t>(1));
  // And the stream goes on.
  ASSERT_TRUE(decoder.decode(testing::received_frame(5, 320, 240))) << decoder.error();
}

TEST(FrameDecoder, RefusesAJpegOfAnotherSizeThanAnnounced) {
  const auto encoded = testing::make_encoded_frame(7, 640, 480);
  const std::vector<std::uint8_t> jpeg(encoded->jpeg().begin(), encoded->jpeg().end());
  FrameDecoder decoder;
  EXPECT_FALSE(decoder.decode(native_frame(7, 320, 240, jpeg)));
  EXPECT_EQ(decoder.refused(), 1u);
  EXPECT_NE(decoder.error().find("640x480"), std::string::npos) << decoder.error();
  EXPECT_NE(decoder.error().find("320x240"), std::string::npos) << decoder.error();
  EXPECT_EQ(decoder.image().width(), 0);
  // The same JPEG over HTTP, where nothing is announced, is fine.
  EXPECT_TRUE(decoder.decode(http_frame(8, jpeg))) << decoder.error();
  EXPECT_EQ(decoder.image().width(), 640);
}

TEST(FrameDecoder, AlternatingSizesReuseTheLargestPlanes) {
  const ReceivedFrame large = testing::received_frame(1, 640, 480);
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.decode(large)) << decoder.error();
  const std::uint8_t* planes = decoder.image().y();
  for (std::uint64_t seq = 2; seq < 8; ++seq) {
    const int width = seq % 2 == 0 ? 320 : 640;
    const int height = seq % 2 == 0 ? 240 : 480;
    ASSERT_TRUE(decoder.decode(testing::received_frame(seq, width, height))) << decoder.error();
    EXPECT_EQ(decoder.image().width(), width);
    // No allocation after the largest frame: the planes stay where they were.
    EXPECT_EQ(decoder.image().y(), planes) << seq;
    EXPECT_EQ(seqcode::read(decoder.image().y(), decoder.image().y_stride(), width, height),
              std::optional<std::uint32_t>(static_cast<std::uint32_t>(seq)));
  }
}

}  // namespace
}  // namespace camstream
