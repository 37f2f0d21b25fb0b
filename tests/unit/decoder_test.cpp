// decoder_test.cpp - camview's JPEG decoding of received frames: good ones, broken ones, counts.
#include "viewer/decode/decoder.hpp"

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
  ASSERT_TRUE(decoder.decode(good)) << decoder.error();
  EXPECT_EQ(decoder.failures(), 1u);
  EXPECT_EQ(decoder.image().width(), 320);
  EXPECT_EQ(decoder.image().height(), 240);
  EXPECT_EQ(seqcode::read(decoder.image().y(), decoder.image().y_stride(), 320, 240),
            std::optional<std::uint32_t>(12));
}

}  // namespace
}  // namespace camstream
