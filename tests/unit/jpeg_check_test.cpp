// jpeg_check_test.cpp - the declared-size check camview runs on a JPEG before it allocates.
#include "viewer/decode/jpeg_check.hpp"

#include <string>

#include <gtest/gtest.h>

namespace camstream {
namespace {

JpegInfo declared(int width, int height) {
  JpegInfo info;
  info.width = width;
  info.height = height;
  return info;
}

TEST(JpegCheck, AcceptsTheAnnouncedSize) {
  std::string reason;
  EXPECT_TRUE(check_declared_size(declared(1280, 720), 1280, 720, 60000, reason)) << reason;
  // HTTP announces nothing: any size within the ratio.
  EXPECT_TRUE(check_declared_size(declared(1920, 1080), 0, 0, 100000, reason)) << reason;
}

TEST(JpegCheck, RefusesASizeTheStreamDidNotAnnounce) {
  std::string reason;
  EXPECT_FALSE(check_declared_size(declared(8192, 8192), 320, 240, 6700, reason));
  EXPECT_NE(reason.find("8192x8192"), std::string::npos) << reason;
  EXPECT_NE(reason.find("320x240"), std::string::npos) << reason;
  // Smaller than announced is as wrong as larger.
  EXPECT_FALSE(check_declared_size(declared(320, 240), 640, 480, 6700, reason));
  EXPECT_FALSE(check_declared_size(declared(320, 241), 320, 240, 6700, reason));
}

TEST(JpegCheck, RefusesMorePixelsThanItsBytesCanHold) {
  std::string reason;
  // What issue 10 found: 6.7 KB saying 8192x8192, over HTTP and over the native protocol
  // with a header announcing the same lie.
  EXPECT_FALSE(check_declared_size(declared(8192, 8192), 0, 0, 6700, reason));
  EXPECT_NE(reason.find("6700 bytes"), std::string::npos) << reason;
  EXPECT_FALSE(check_declared_size(declared(8192, 8192), 8192, 8192, 6700, reason));
  // The bound itself: exactly kMaxPixelsPerJpegByte a byte passes, one pixel more does not.
  const std::size_t bytes = 8192 * 8192 / kMaxPixelsPerJpegByte;
  EXPECT_TRUE(check_declared_size(declared(8192, 8192), 0, 0, bytes, reason)) << reason;
  EXPECT_FALSE(check_declared_size(declared(8192, 8192), 0, 0, bytes - 1, reason));
}

}  // namespace
}  // namespace camstream
