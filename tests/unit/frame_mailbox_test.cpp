// frame_mailbox_test.cpp - the viewer's one-slot hand-over: newest wins, skips, close.
#include "viewer/net/frame_mailbox.hpp"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

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
  std::thread producer([&box] {
    std::this_thread::sleep_for(20ms);
    box.put(frame(9));
  });
  const auto f = box.wait_take(10s);
  producer.join();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->header.seq, 9u);
}

TEST(FrameMailbox, CloseKeepsTheFirstReasonAndWakesWaiters) {
  FrameMailbox box;
  std::thread closer([&box] {
    std::this_thread::sleep_for(20ms);
    box.close("stream ended: peer closed the connection", true);
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(box.wait_take(10s).has_value());
  closer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 9s) << "close() did not wake the waiter";
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
