// socket_options_test.cpp - what the server sets on a client socket, read back from the kernel.
#include "device/serve/socket_options.hpp"

#include <asio.hpp>
#include <gtest/gtest.h>
#include <sys/socket.h>

namespace camstream {
namespace {

TEST(SendBufferCap, SetsAboutOneFrameAndSkipsSmallChanges) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.open(asio::ip::tcp::v4());
  SendBufferCap cap;
  cap.fit(socket, 0);
  EXPECT_EQ(cap.bytes(), SendBufferCap::kMinBytes);
  cap.fit(socket, 150'000);
  EXPECT_EQ(cap.bytes(), 150'000u);
  cap.fit(socket, 100'000);  // within a factor of two: no system call
  EXPECT_EQ(cap.bytes(), 150'000u);
  cap.fit(socket, 70'000);
  EXPECT_EQ(cap.bytes(), 70'000u);
  // Linux doubles the value for its bookkeeping (asio's get_option hides that; the kernel's
  // figure is what a stalled client can pin).
  int kernel = 0;
  socklen_t length = sizeof kernel;
  ASSERT_EQ(::getsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDBUF, &kernel, &length), 0);
  EXPECT_EQ(kernel, 2 * 70'000);
}

TEST(AbortOnClose, SetsLingerZero) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.open(asio::ip::tcp::v4());
  abort_on_close(socket);
  asio::socket_base::linger linger;
  socket.get_option(linger);
  EXPECT_TRUE(linger.enabled());
  EXPECT_EQ(linger.timeout(), 0);
}

}  // namespace
}  // namespace camstream
