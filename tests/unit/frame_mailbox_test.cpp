// frame_mailbox_test.cpp - the viewer's one-slot hand-over: newest wins, skips, close.
#include "viewer/net/frame_mailbox.hpp"

#include <chrono>
#include <optional>

#include <gtest/gtest.h>

#include "tests/unit/helpers.hpp"

namespace camstream {
namespace {

using namespace std::chrono_literals;

ReceivedFrame frame(std::uint64_t seq) {
  ReceivedFrame f;
  f.header.seq = seq;
  f.payload = {1, 2, 3, 4, 5};
  f.jpeg_offset = 2;
  return f;
}

// wait_take(10s) on a thread of its own: what it got and how long it waited.
struct Consumer {
  explicit Consumer(FrameMailbox& box)
      : call([this, &box] {
          const auto start = std::chrono::steady_clock::now();
          frame = box.wait_take(10s);
          waited = std::chrono::steady_clock::now() - start;
        }) {}

  std::optional<ReceivedFrame> frame;
  std::chrono::steady_clock::duration waited{};
  testing::BlockingCall call;  // last: the thread starts once the others exist
};

TEST(FrameMailbox, EmptyTakesNothing) {
  FrameMailbox box;
  EXPECT_FALSE(box.take().has_value());
  EXPECT_FALSE(box.closed());
  EXPECT_EQ(box.skipped(), 0u);
}

TEST(FrameMailbox, PutThenTake) {
  FrameMailbox box;
  EXPECT_FALSE(box.put(frame(1)));
  const auto f = box.take();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->header.seq, 1u);
  EXPECT_EQ(f->jpeg().size(), 3u);
  EXPECT_EQ(f->jpeg()[0], 3);
  EXPECT_FALSE(box.take().has_value());  // taken means gone
  EXPECT_EQ(box.skipped(), 0u);
}

TEST(FrameMailbox, NewerReplacesAndCountsSkips) {
  FrameMailbox box;
  EXPECT_FALSE(box.put(frame(1)));
  EXPECT_TRUE(box.put(frame(2)));
  EXPECT_TRUE(box.put(frame(3)));
  EXPECT_EQ(box.skipped(), 2u);
  const auto f = box.take();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->header.seq, 3u);
  // After a take the slot is free again: no skip.
  EXPECT_FALSE(box.put(frame(4)));
  EXPECT_EQ(box.skipped(), 2u);
}

TEST(FrameMailbox, WaitTakeTimesOutEmpty) {
  FrameMailbox box;
  EXPECT_FALSE(box.wait_take(1ms).has_value());
}

TEST(FrameMailbox, WaitTakeWakesOnPut) {
  FrameMailbox box;
  Consumer consumer(box);
  EXPECT_TRUE(consumer.call.asleep()) << "wait_take() returned from an empty mailbox";
  box.put(frame(9));
  consumer.call.join();
  ASSERT_TRUE(consumer.frame.has_value());
  EXPECT_EQ(consumer.frame->header.seq, 9u);
  EXPECT_LT(consumer.waited, 9s) << "put() did not wake the waiter";
}

TEST(FrameMailbox, CloseKeepsTheFirstReasonAndWakesWaiters) {
  FrameMailbox box;
  Consumer consumer(box);
  EXPECT_TRUE(consumer.call.asleep()) << "wait_take() returned from an empty mailbox";
  box.close("stream ended: peer closed the connection", true);
  consumer.call.join();
  EXPECT_FALSE(consumer.frame.has_value());
  EXPECT_LT(consumer.waited, 9s) << "close() did not wake the waiter";
  EXPECT_TRUE(box.closed());
  EXPECT_TRUE(box.closed_with_error());
  EXPECT_EQ(box.reason(), "stream ended: peer closed the connection");

  box.close("second reason", false);
  EXPECT_EQ(box.reason(), "stream ended: peer closed the connection");
  EXPECT_TRUE(box.closed_with_error());
  EXPECT_FALSE(box.wait_take(10s).has_value());  // closed: returns at once
}

TEST(FrameMailbox, CleanCloseIsNotAnError) {
  FrameMailbox box;
  box.close("enough frames", false);
  EXPECT_TRUE(box.closed());
  EXPECT_FALSE(box.closed_with_error());
  EXPECT_EQ(box.reason(), "enough frames");
}

TEST(FrameMailbox, FramePutBeforeCloseCanStillBeTaken) {
  FrameMailbox box;
  box.put(frame(5));
  box.close("done", false);
  const auto f = box.wait_take(10s);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->header.seq, 5u);
}

}  // namespace
}  // namespace camstream
