// decoder_test.cpp - camview's JPEG decoding of received frames: good ones, broken ones, counts.
#include "viewer/decode/decoder.hpp"

#include <algorithm>
#include <optional>
#include <span>

#include <gtest/gtest.h>

#include "shared/protocol.hpp"
#include "shared/seqcode.hpp"
#include "tests/unit/helpers.hpp"

namespace camstream {
namespace {

using testing::make_encoded_frame;

TEST(FrameDecoder, CountsFailuresAndKeepsGoing) {
  const auto encoded = make_encoded_frame(12, 320, 240);
  ReceivedFrame good;
  good.header = encoded->header;
  // The frame message's payload: the frame header (after the message header), then the JPEG.
  const std::span<const std::uint8_t> prefix(encoded->prefix);
  good.payload.resize(proto::kFrameHeaderSize + encoded->jpeg().size());
  std::copy(prefix.begin() + proto::kMessageHeaderSize, prefix.end(), good.payload.begin());
  std::copy(encoded->jpeg().begin(), encoded->jpeg().end(),
            good.payload.begin() + proto::kFrameHeaderSize);
  good.jpeg_offset = proto::kFrameHeaderSize;

  ReceivedFrame bad = good;
  bad.payload.resize(bad.payload.size() / 2);

  FrameDecoder decoder;
  EXPECT_FALSE(decoder.decode(bad));
  EXPECT_FALSE(decoder.error().empty());
  EXPECT_EQ(decoder.failures(), 1u);
  ASSERT_TRUE(decoder.decode(good)) << decoder.error();
  EXPECT_EQ(decoder.failures(), 1u);
  EXPECT_EQ(decoder.image().width(), 320);
  EXPECT_EQ(decoder.image().height(), 240);
  EXPECT_EQ(seqcode::read(decoder.image().y(), decoder.image().y_stride(), 320, 240),
            std::optional<std::uint32_t>(12));
}

}  // namespace
}  // namespace camstream
