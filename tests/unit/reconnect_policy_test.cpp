// reconnect_policy_test.cpp - the backoff between attempts, and when camview gives up.
#include "viewer/net/reconnect_policy.hpp"

#include <gtest/gtest.h>

namespace camstream {
namespace {

using namespace std::chrono_literals;

TEST(ReconnectPolicy, DoublesTheWaitUpToTheCap) {
  ReconnectPolicy p(ReconnectSettings{true, 100ms, 500ms});
  EXPECT_EQ(p.after_end(false), 100ms);
  EXPECT_EQ(p.after_end(false), 200ms);
  EXPECT_EQ(p.after_end(false), 400ms);
  EXPECT_EQ(p.after_end(false), 500ms);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(p.after_end(false), 500ms) << "after " << i;
}

TEST(ReconnectPolicy, AFrameStartsTheBackoffAgain) {
  ReconnectPolicy p(ReconnectSettings{true, 100ms, 500ms});
  p.after_end(false);
  p.after_end(false);
  p.live();
  EXPECT_EQ(p.after_end(false), 100ms);
}

// A refused or missing token, another protocol version: no retry can mend it.
TEST(ReconnectPolicy, GivesUpOnAPermanentEnd) {
  ReconnectPolicy p;
  EXPECT_FALSE(p.after_end(true).has_value());
  EXPECT_TRUE(p.after_end(false).has_value()) << "a transient end after it is still retried";
}

TEST(ReconnectPolicy, NeverRetriesWhenTurnedOff) {
  ReconnectSettings off;
  off.enabled = false;
  ReconnectPolicy p(off);
  EXPECT_FALSE(p.after_end(false).has_value());
  EXPECT_FALSE(p.after_end(true).has_value());
}

// The default cap keeps camview's promise: back within a second of the daemon.
TEST(ReconnectPolicy, DefaultCapIsBelowASecond) {
  ReconnectPolicy p;
  for (int i = 0; i < 20; ++i)
    EXPECT_LT(*p.after_end(false), 1000ms);
}

}  // namespace
}  // namespace camstream
