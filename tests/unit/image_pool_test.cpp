// image_pool_test.cpp - images go out with frames and come back when the frames are released.
#include "device/capture/image_pool.hpp"

#include <gtest/gtest.h>

namespace camstream {
namespace {

TEST(ImagePool, AnImageComesBackWhenItsFrameIsReleased) {
  ImagePool pool;
  pool.add(1, 64, 48);
  auto image = pool.take(64, 48);
  ASSERT_TRUE(image);
  const std::uint8_t* pixels = image->view().y;
  EXPECT_FALSE(pool.take(64, 48)) << "the only image is out";
  RawFramePtr frame = pool.frame(std::move(image), 7, 1234);
  EXPECT_EQ(frame->seq, 7u);
  EXPECT_EQ(frame->capture_us, 1234u);
  EXPECT_EQ(frame->planes.y, pixels) << "the frame points into the image: no copy";
  EXPECT_FALSE(pool.take(64, 48)) << "still held by the frame";
  frame.reset();
  auto again = pool.take(64, 48);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->view().y, pixels) << "the same image, reused";
}

TEST(ImagePool, FramesOutliveThePool) {
  RawFramePtr frame;
  {
    ImagePool pool;
    pool.add(1, 32, 32);
    frame = pool.frame(pool.take(32, 32), 1, 1);
  }
  // The deleter runs after the pool's handle is gone: its shared state keeps it valid.
  EXPECT_EQ(frame->planes.width, 32);
  frame.reset();
}

TEST(ImagePool, ImagesOfAnotherSizeAreDroppedNotReturned) {
  ImagePool pool;
  pool.add(2, 64, 48);
  EXPECT_FALSE(pool.take(32, 32));
  EXPECT_FALSE(pool.take(64, 48)) << "the old size was let go on the way";
  pool.add(1, 32, 32);
  EXPECT_TRUE(pool.take(32, 32));
}

}  // namespace
}  // namespace camstream
