// stall_detector_test.cpp - StallDetector over a real loopback connection: a peer that stops
// reading is caught, one that reads slowly but steadily never is.
#include "device/serve/stall_detector.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include <asio.hpp>
#include <gtest/gtest.h>

#include "device/serve/socket_options.hpp"
#include "tests/unit/helpers.hpp"

namespace camstream {
namespace {

using namespace std::chrono_literals;
using testing::kTimeout;

// A connected pair on 127.0.0.1: `sender` on the test's event loop, `peer` read (or not) by
// the test.
class StallDetectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
    peer_.connect(acceptor.local_endpoint());
    acceptor.accept(sender_);
    // Small buffers on both sides, as a capped client socket has: the write fills them fast.
    SendBufferCap().fit(sender_, 0);
    peer_.set_option(asio::socket_base::receive_buffer_size(64 * 1024));
  }

  // Runs the loop until `done` holds or kTimeout passes.
  template <typename Pred>
  bool run_until(Pred done) {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.restart();
      io_.run_for(5ms);
    }
    return true;
  }

  asio::io_context io_;
  asio::ip::tcp::socket sender_{io_};
  asio::ip::tcp::socket peer_{io_};
};

TEST_F(StallDetectorTest, APeerThatStopsReadingIsCaught) {
  StallDetector stall(io_.get_executor(), 200ms);
  bool stalled = false;
  bool written = false;
  stall.on_stall([&] { stalled = true; });
  const std::vector<std::uint8_t> bytes(16u << 20);  // far more than both buffers hold
  stall.write(sender_, asio::buffer(bytes), [&](std::error_code, std::size_t) { written = true; });
  ASSERT_TRUE(run_until([&] { return stalled; }));
  EXPECT_FALSE(written);
  EXPECT_TRUE(stall.writing());
  stall.cancel();
  sender_.close();
  ASSERT_TRUE(run_until([&] { return written; }));
}

TEST_F(StallDetectorTest, ASlowButSteadyReaderIsNeverCut) {
  // 4 MiB at 32 KiB every 20 ms takes over 2.5 s, six times the timeout; each read frees
  // room, so some bytes move every 20 ms or so (the timeout leaves a busy machine 20 times
  // that to schedule the reader).
  StallDetector stall(io_.get_executor(), 400ms);
  bool stalled = false;
  std::error_code result = asio::error::would_block;
  stall.on_stall([&] { stalled = true; });
  const std::vector<std::uint8_t> bytes(4u << 20);
  stall.write(sender_, asio::buffer(bytes), [&](std::error_code e, std::size_t) { result = e; });
  std::atomic<bool> stop{false};
  std::size_t got = 0;
  std::thread reader([&] {
    std::vector<std::uint8_t> chunk(32 * 1024);
    while (!stop && got < bytes.size()) {
      asio::error_code ec;
      got += peer_.read_some(asio::buffer(chunk), ec);
      if (ec) return;
      std::this_thread::sleep_for(20ms);
    }
  });
  const bool finished = run_until([&] { return result != asio::error::would_block || stalled; });
  if (!finished || stalled) {
    stop = true;
    peer_.shutdown(asio::socket_base::shutdown_both);
  }
  reader.join();  // reads what the finished write left in the buffers
  ASSERT_TRUE(finished);
  EXPECT_FALSE(stalled);
  EXPECT_FALSE(result) << result.message();
  EXPECT_EQ(got, bytes.size());
}

TEST_F(StallDetectorTest, TimeBetweenWritesIsNotAStall) {
  StallDetector idle(io_.get_executor(), 100ms);
  bool idle_stalled = false;
  idle.on_stall([&] { idle_stalled = true; });
  bool written = false;
  const std::vector<std::uint8_t> small(1000);
  idle.write(sender_, asio::buffer(small), [&](std::error_code, std::size_t) { written = true; });
  ASSERT_TRUE(run_until([&] { return written; }));
  // A second detector, armed later with the same timeout on a write that cannot finish: by
  // the time it fires, the first would have fired too had it taken the idle time for a stall.
  StallDetector stuck(io_.get_executor(), 100ms);
  bool stuck_stalled = false;
  stuck.on_stall([&] { stuck_stalled = true; });
  const std::vector<std::uint8_t> bytes(16u << 20);
  stuck.write(sender_, asio::buffer(bytes), [](std::error_code, std::size_t) {});
  ASSERT_TRUE(run_until([&] { return stuck_stalled; }));
  EXPECT_FALSE(idle_stalled);
  stuck.cancel();
  idle.cancel();
  sender_.close();
  io_.restart();
  io_.run_for(50ms);
}

TEST_F(StallDetectorTest, CancelLetsGoOfWhatTheCallbackHolds) {
  auto held = std::make_shared<int>(7);
  StallDetector stall(io_.get_executor(), 1h);
  stall.on_stall([held] { (void)held; });
  EXPECT_EQ(held.use_count(), 2);
  stall.cancel();
  EXPECT_EQ(held.use_count(), 1);
}

}  // namespace
}  // namespace camstream
