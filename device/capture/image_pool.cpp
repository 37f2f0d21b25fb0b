// image_pool.cpp - images handed out with frames and given back by the frames' deleters.
#include "device/capture/image_pool.hpp"

namespace camstream {

void ImagePool::add(int count, int width, int height) {
  std::lock_guard lock(state_->mutex);
  for (int i = 0; i < count; ++i)
    state_->free.push_back(std::make_unique<Yuv420Image>(width, height));
}

std::unique_ptr<Yuv420Image> ImagePool::take(int width, int height) {
  std::lock_guard lock(state_->mutex);
  auto& free = state_->free;
  while (!free.empty()) {
    std::unique_ptr<Yuv420Image> image = std::move(free.back());
    free.pop_back();
    if (image->width() == width && image->height() == height) return image;
  }
  return nullptr;
}

RawFramePtr ImagePool::frame(std::unique_ptr<Yuv420Image> image, std::uint64_t seq,
                             std::uint64_t capture_us) const {
  auto raw = std::make_unique<RawFrame>(RawFrame{seq, capture_us, image->view()});
  return RawFramePtr(raw.release(), [state = state_, img = image.release()](const RawFrame* f) {
    delete f;
    std::lock_guard lock(state->mutex);
    state->free.emplace_back(img);
  });
}

}  // namespace camstream
