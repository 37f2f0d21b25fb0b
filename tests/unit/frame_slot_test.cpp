// frame_slot_test.cpp - the one-frame-pending rule: newer replaces unsent, never backwards.
#include "device/serve/frame_slot.hpp"

#include <gtest/gtest.h>

#include "tests/unit/helpers.hpp"

namespace camstream {
namespace {

using testing::make_filler_frame;
using Offer = FrameSlot::Offer;

TEST(FrameSlot, AFirstFrameIsWrittenAtOnce) {
  FrameSlot slot;
  slot.begin(1000, make_filler_frame(7, 100));
  const EncodedFramePtr f = slot.take(1000);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->header.seq, 7u);
  EXPECT_TRUE(slot.in_flight());
  EXPECT_EQ(slot.written(1250), 250u);
  EXPECT_FALSE(slot.in_flight());
  EXPECT_EQ(slot.sent(), 1u);
  EXPECT_EQ(slot.skipped(), 0u);
  EXPECT_FALSE(slot.take(1300)) << "nothing pending";
}

TEST(FrameSlot, ANewerFrameReplacesAnUnsentOneAndCountsASkip) {
  FrameSlot slot;
  slot.begin(0, nullptr);
  EXPECT_EQ(slot.offer(make_filler_frame(1, 10)), Offer::kStored);
  ASSERT_TRUE(slot.take(0));  // 1 in flight: the socket is slow
  EXPECT_EQ(slot.offer(make_filler_frame(2, 10)), Offer::kStored);
  EXPECT_EQ(slot.offer(make_filler_frame(3, 10)), Offer::kReplaced);
  EXPECT_EQ(slot.offer(make_filler_frame(4, 10)), Offer::kReplaced);
  EXPECT_FALSE(slot.take(0)) << "one write at a time";
  slot.written(10);
  const EncodedFramePtr next = slot.take(10);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->header.seq, 4u) << "the newest, not the oldest";
  slot.written(20);
  EXPECT_EQ(slot.sent(), 2u);
  EXPECT_EQ(slot.skipped(), 2u);
}

TEST(FrameSlot, FramesNeverGoBackwards) {
  FrameSlot slot;
  slot.begin(0, make_filler_frame(10, 10));
  EXPECT_EQ(slot.offer(make_filler_frame(9, 10)), Offer::kIgnored) << "older than pending";
  EXPECT_EQ(slot.offer(make_filler_frame(10, 10)), Offer::kIgnored) << "the same frame again";
  ASSERT_TRUE(slot.take(0));
  EXPECT_EQ(slot.offer(make_filler_frame(10, 10)), Offer::kIgnored) << "the one in flight";
  slot.written(1);
  EXPECT_EQ(slot.offer(make_filler_frame(8, 10)), Offer::kIgnored) << "older than sent";
  EXPECT_EQ(slot.offer(nullptr), Offer::kIgnored);
  EXPECT_EQ(slot.offer(make_filler_frame(11, 10)), Offer::kStored);
  EXPECT_EQ(slot.skipped(), 0u);
}

TEST(FrameSlot, ClearLetsGoOfBothFrames) {
  FrameSlot slot;
  slot.begin(0, nullptr);
  const EncodedFramePtr a = make_filler_frame(1, 10);
  const EncodedFramePtr b = make_filler_frame(2, 10);
  slot.offer(a);
  ASSERT_TRUE(slot.take(0));
  slot.offer(b);
  EXPECT_EQ(a.use_count(), 2);
  EXPECT_EQ(b.use_count(), 2);
  slot.clear();
  EXPECT_EQ(a.use_count(), 1) << "a closed session must not hold frames";
  EXPECT_EQ(b.use_count(), 1);
}

TEST(FrameSlot, FpsIsFramesWrittenOverTheLastSecond) {
  FrameSlot slot;
  slot.begin(0, nullptr);
  for (std::uint64_t i = 1; i <= 31; ++i) {
    slot.offer(make_filler_frame(i, 10));
    ASSERT_TRUE(slot.take(i * 33'333));
    slot.written(i * 33'333 + 100);
  }
  EXPECT_NEAR(slot.fps(1'033'423), 30.0, 1.0);
}

}  // namespace
}  // namespace camstream
