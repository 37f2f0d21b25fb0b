// client_log_test.cpp - ClientLog: per-address and overall line budgets, and the summary line.
#include "device/serve/client_log.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace camstream {
namespace {

constexpr std::uint64_t kSecond = 1'000'000;

class ClientLogTest : public ::testing::Test {
 protected:
  ClientLog make(int per_address, int overall, std::size_t max_addresses = 1024) {
    ClientLog::Limits limits;
    limits.per_address = per_address;
    limits.overall = overall;
    limits.interval = std::chrono::seconds(10);
    limits.max_addresses = max_addresses;
    return ClientLog(limits,
                     [this](log::Level, std::string_view line) { lines_.emplace_back(line); });
  }
  std::vector<std::string> lines_;
};

TEST_F(ClientLogTest, OneAddressGetsItsLinesPerIntervalAndNoMore) {
  ClientLog log = make(3, 100);
  for (int i = 0; i < 1000; ++i)
    log.write(log::Level::kInfo, "10.0.0.1", "refused " + std::to_string(i), kSecond);
  ASSERT_EQ(lines_.size(), 3u);
  EXPECT_EQ(lines_[2], "refused 2");
  EXPECT_EQ(log.held_back(), 997u);
  // Another address is not held back by the first one's flood.
  log.write(log::Level::kInfo, "10.0.0.2", "other", 2 * kSecond);
  ASSERT_EQ(lines_.size(), 5u);
  EXPECT_NE(lines_[3].find("997 more lines about clients were held back"), std::string::npos)
      << lines_[3];
  EXPECT_EQ(lines_[4], "other");
}

TEST_F(ClientLogTest, TheNextIntervalLetsLinesThroughAgain) {
  ClientLog log = make(2, 100);
  for (int i = 0; i < 5; ++i)
    log.write(log::Level::kInfo, "10.0.0.1", "a", kSecond);
  EXPECT_EQ(lines_.size(), 2u);
  log.write(log::Level::kInfo, "10.0.0.1", "b", 10 * kSecond);  // 9 s later: same interval
  EXPECT_EQ(lines_.size(), 2u);
  log.write(log::Level::kInfo, "10.0.0.1", "c", 11 * kSecond);
  ASSERT_EQ(lines_.size(), 4u);
  EXPECT_NE(lines_[2].find("4 more lines"), std::string::npos) << lines_[2];
  EXPECT_EQ(lines_[3], "c");
}

TEST_F(ClientLogTest, ManyAddressesTogetherStayUnderTheOverallBudget) {
  ClientLog log = make(5, 20);
  // A sweep over 400 addresses, one line each: the per-address budget alone would let
  // every line through.
  for (int i = 0; i < 400; ++i)
    log.write(log::Level::kInfo, "10.0.1." + std::to_string(i), "line", kSecond);
  EXPECT_EQ(lines_.size(), 20u);
  EXPECT_EQ(log.held_back(), 380u);
}

TEST_F(ClientLogTest, RemembersABoundedNumberOfAddresses) {
  ClientLog log = make(1, 1'000'000, 16);
  for (int i = 0; i < 1000; ++i)
    log.write(log::Level::kInfo, "10.0.2." + std::to_string(i), "line", kSecond);
  // Beyond the addresses it remembers, only the overall budget applies: lines still flow,
  // memory does not grow.
  EXPECT_EQ(lines_.size(), 1000u);
  // Once their interval is over, remembered addresses make room for new ones.
  log.write(log::Level::kInfo, "10.0.3.1", "late", 20 * kSecond);
  log.write(log::Level::kInfo, "10.0.3.1", "held", 20 * kSecond);
  EXPECT_EQ(lines_.back(), "late");
  EXPECT_EQ(log.held_back(), 1u);
}

TEST_F(ClientLogTest, FlushSumsUpWhatWasHeldBackOnce) {
  ClientLog log = make(1, 100);
  for (int i = 0; i < 3; ++i)
    log.write(log::Level::kInfo, "10.0.0.1", "line", kSecond);
  EXPECT_TRUE(log.holding());
  log.flush();
  log.flush();
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_NE(lines_[1].find("2 more lines"), std::string::npos) << lines_[1];
  EXPECT_FALSE(log.holding());
  EXPECT_EQ(log.held_back(), 2u);
}

TEST_F(ClientLogTest, LinesBelowTheLogLevelCostNothing) {
  ClientLog log = make(1, 1);
  const log::Level before = log::level();
  log::set_level(log::Level::kWarn);
  for (int i = 0; i < 10; ++i)
    log.write(log::Level::kInfo, "10.0.0.1", "quiet", kSecond);
  log.write(log::Level::kWarn, "10.0.0.1", "loud", kSecond);
  log::set_level(before);
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0], "loud");
  EXPECT_EQ(log.held_back(), 0u);
}

}  // namespace
}  // namespace camstream
