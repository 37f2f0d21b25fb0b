// hub.cpp - newest-frame-wins publication.
#include "device/serve/hub.hpp"

namespace camstream {

void Hub::set_listener(Listener listener) {
  std::lock_guard lock(mutex_);
  listener_ = std::move(listener);
}

void Hub::publish(EncodedFramePtr frame) {
  // The listener runs under the lock so that two encoders finishing together cannot hand
  // their frames on in the wrong order; it only posts the frame, so the lock is brief.
  std::lock_guard lock(mutex_);
  if (latest_ && frame->header.seq <= latest_->header.seq) {
    dropped_late_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  latest_ = frame;
  published_.fetch_add(1, std::memory_order_relaxed);
  if (listener_) listener_(latest_);
}

EncodedFramePtr Hub::latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

}  // namespace camstream
