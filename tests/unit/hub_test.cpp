// hub_test.cpp - newest-frame-wins publication: order, late frames, the listener.
#include "device/serve/hub.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/helpers.hpp"

namespace camstream {
namespace {

EncodedFramePtr frame(std::uint64_t seq) {
  auto f = std::make_shared<EncodedFrame>();
  f->header.seq = seq;
  return f;
}

TEST(Hub, StartsEmpty) {
  Hub hub;
  EXPECT_EQ(hub.latest(), nullptr);
  EXPECT_EQ(hub.published(), 0u);
  EXPECT_EQ(hub.dropped_late(), 0u);
  hub.publish(frame(3));  // no listener: still kept
  ASSERT_NE(hub.latest(), nullptr);
  EXPECT_EQ(hub.latest()->header.seq, 3u);
}

TEST(Hub, OnlyNewerFramesArePublished) {
  Hub hub;
  std::vector<std::uint64_t> heard;
  hub.set_listener([&heard](const EncodedFramePtr& f) { heard.push_back(f->header.seq); });

  for (const std::uint64_t seq : {0, 1, 5, 3, 5, 4, 6, 2, 10})
    hub.publish(frame(seq));

  EXPECT_EQ(heard, (std::vector<std::uint64_t>{0, 1, 5, 6, 10}));
  EXPECT_EQ(hub.published(), 5u);
  EXPECT_EQ(hub.dropped_late(), 4u);  // 3, the second 5, 4, 2
  EXPECT_EQ(hub.latest()->header.seq, 10u);
}

TEST(Hub, ListenerGetsTheSameSharedFrame) {
  Hub hub;
  EncodedFramePtr got;
  hub.set_listener([&got](const EncodedFramePtr& f) { got = f; });
  const auto f = frame(1);
  hub.publish(f);
  EXPECT_EQ(got.get(), f.get());  // shared, not copied
  EXPECT_EQ(hub.latest().get(), f.get());
}

TEST(Hub, DroppedFrameIsNotKept) {
  Hub hub;
  hub.publish(frame(9));
  std::weak_ptr<const EncodedFrame> late;
  {
    auto f = frame(8);
    late = f;
    hub.publish(std::move(f));
  }
  EXPECT_TRUE(late.expired());
  EXPECT_EQ(hub.latest()->header.seq, 9u);
}

TEST(Hub, ClearingTheListenerStopsCalls) {
  Hub hub;
  int calls = 0;
  hub.set_listener([&calls](const EncodedFramePtr&) { ++calls; });
  hub.publish(frame(1));
  hub.set_listener({});
  hub.publish(frame(2));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(hub.latest()->header.seq, 2u);
}

TEST(Hub, ConcurrentPublishersStillInOrder) {
  Hub hub;
  testing::Heard recorder;
  recorder.attach(hub);
  constexpr int kThreads = 4;
  constexpr std::uint64_t kPerThread = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&hub, t] {
      // Interleaved seqs, as from encoders finishing in any order.
      for (std::uint64_t i = 0; i < kPerThread; ++i) {
        hub.publish(frame(i * kThreads + static_cast<std::uint64_t>(t)));
      }
    });
  }
  for (auto& th : threads)
    th.join();
  const std::vector<std::uint64_t> heard = recorder.seqs();
  ASSERT_FALSE(heard.empty());
  for (std::size_t i = 1; i < heard.size(); ++i)
    ASSERT_LT(heard[i - 1], heard[i]) << i;
  EXPECT_EQ(hub.published(), heard.size());
  EXPECT_EQ(hub.published() + hub.dropped_late(), kThreads * kPerThread);
  EXPECT_EQ(hub.latest()->header.seq, heard.back());
}

TEST(Hub, RequestIsAnsweredByTheNextPublishOnly) {
  Hub hub;
  hub.publish(frame(4));  // before the request: not the answer
  std::vector<EncodedFramePtr> got;
  hub.request_next([&got](const EncodedFramePtr& f) { got.push_back(f); });
  EXPECT_TRUE(hub.demand().request_pending()) << "the source was not asked for a frame";
  EXPECT_TRUE(got.empty());

  hub.publish(frame(3));  // late: dropped, so it answers nothing
  EXPECT_TRUE(got.empty());
  hub.publish(frame(5));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]->header.seq, 5u);
  hub.publish(frame(6));  // answered once, then forgotten
  EXPECT_EQ(got.size(), 1u);
}

TEST(Hub, OneFrameAnswersEveryWaitingRequest) {
  Hub hub;
  int calls = 0;
  std::uint64_t seen = 0;
  for (int i = 0; i < 3; ++i) {
    hub.request_next([&](const EncodedFramePtr& f) {
      ++calls;
      seen = f->header.seq;
    });
  }
  hub.publish(frame(9));
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(seen, 9u);
}

TEST(Hub, CancelledRequestIsNotCalled) {
  Hub hub;
  int kept = 0;
  int cancelled = 0;
  const std::uint64_t a = hub.request_next([&](const EncodedFramePtr&) { ++cancelled; });
  const std::uint64_t b = hub.request_next([&](const EncodedFramePtr&) { ++kept; });
  EXPECT_NE(a, b);
  EXPECT_TRUE(hub.cancel_next(a));
  EXPECT_FALSE(hub.cancel_next(a));
  hub.publish(frame(1));
  EXPECT_EQ(cancelled, 0);
  EXPECT_EQ(kept, 1);
  EXPECT_FALSE(hub.cancel_next(b)) << "already answered";
}

TEST(Hub, CancelAllAnswersWithNothing) {
  Hub hub;
  std::vector<EncodedFramePtr> got;
  hub.request_next([&got](const EncodedFramePtr& f) { got.push_back(f); });
  hub.request_next([&got](const EncodedFramePtr& f) { got.push_back(f); });
  hub.cancel_all_requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], nullptr);
  EXPECT_EQ(got[1], nullptr);
  hub.publish(frame(1));
  EXPECT_EQ(got.size(), 2u);
}

}  // namespace
}  // namespace camstream
