// demand_test.cpp - who wants frames: watchers, one-shot requests, and the source's sleep.
#include "device/capture/demand.hpp"

#include <atomic>
#include <stop_token>
#include <thread>

#include <gtest/gtest.h>

#include "tests/unit/helpers.hpp"

namespace camstream {
namespace {

using testing::eventually;

TEST(Demand, WatchCountsAndMoves) {
  Demand d;
  EXPECT_FALSE(d.try_acquire());
  Demand::Watch a(d);
  EXPECT_TRUE(a.active());
  EXPECT_EQ(d.watchers(), 1);
  Demand::Watch b = std::move(a);
  EXPECT_FALSE(a.active());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(d.watchers(), 1);
  EXPECT_TRUE(d.try_acquire());
  EXPECT_TRUE(d.try_acquire());  // a watcher wants every frame
  b.reset();
  b.reset();
  EXPECT_EQ(d.watchers(), 0);
  EXPECT_FALSE(d.try_acquire());
}

TEST(Demand, RequestIsTakenOnceAndCanBeGivenBack) {
  Demand d;
  d.request_frame();
  d.request_frame();  // two at once are served by one frame
  EXPECT_TRUE(d.request_pending());
  EXPECT_TRUE(d.try_acquire());
  EXPECT_FALSE(d.request_pending());
  EXPECT_FALSE(d.try_acquire());
  d.release_request();  // the frame could not be used
  EXPECT_TRUE(d.try_acquire());
  EXPECT_FALSE(d.try_acquire());
}

TEST(Demand, AcquireSleepsUntilWantedOrStopped) {
  Demand d;
  std::stop_source stop;
  std::atomic<int> result{-1};
  std::thread waiter([&] { result = d.acquire(stop.get_token()) ? 1 : 0; });
  ASSERT_TRUE(eventually([&] { return d.idle_waits() == 1; }));
  EXPECT_EQ(result.load(), -1);
  d.request_frame();
  waiter.join();
  EXPECT_EQ(result.load(), 1);
  EXPECT_FALSE(d.request_pending());

  std::thread stopped([&] { result = d.acquire(stop.get_token()) ? 1 : 0; });
  ASSERT_TRUE(eventually([&] { return d.idle_waits() == 2; }));
  stop.request_stop();
  stopped.join();
  EXPECT_EQ(result.load(), 0);
}

}  // namespace
}  // namespace camstream
