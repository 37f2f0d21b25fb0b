// hub.cpp - newest-frame-wins publication.
#include "device/serve/hub.hpp"

#include <algorithm>

#include "shared/clock.hpp"

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
  for (const Request& r : requests_)
    r.done(latest_);
  requests_.clear();
}

std::uint64_t Hub::request_next(Listener done) {
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = next_request_id_++;
    requests_.push_back(Request{id, std::move(done)});
  }
  // Registered before asking, so the frame this request causes cannot slip past it.
  demand_.request_frame();
  return id;
}

bool Hub::cancel_next(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  const auto it = std::find_if(requests_.begin(), requests_.end(),
                               [id](const Request& r) { return r.id == id; });
  if (it == requests_.end()) return false;
  requests_.erase(it);
  return true;
}

void Hub::cancel_all_requests() {
  std::lock_guard lock(mutex_);
  for (const Request& r : requests_)
    r.done(nullptr);
  requests_.clear();
}

EncodedFramePtr Hub::latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

EncodedFramePtr Hub::latest_fresh(std::uint64_t max_age_us) const {
  EncodedFramePtr frame = latest();
  if (!frame) return nullptr;
  const std::uint64_t now = monotonic_us();
  // A capture time ahead of now (a sensor clock a hair ahead) counts as fresh.
  if (frame->header.capture_us < now && now - frame->header.capture_us > max_age_us) return nullptr;
  return frame;
}

}  // namespace camstream
