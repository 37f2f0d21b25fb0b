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
  if (frame->still) {
    // A still goes to whoever asked for one, never to the stream.
    for (const Request& r : stills_)
      r.done(frame);
    stills_.clear();
    return;
  }
  if (latest_ && frame->header.seq <= latest_->header.seq) {
    dropped_late_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  latest_ = frame;
  published_.fetch_add(1, std::memory_order_relaxed);
  if (listener_) listener_(latest_);
  bool still_waiting = false;
  std::erase_if(requests_, [&](const Request& r) {
    if (latest_->header.capture_us < r.captured_after_us) {
      still_waiting = true;  // captured before it was asked for: the next one
      return false;
    }
    r.done(latest_);
    return true;
  });
  if (still_waiting) demand_.request_frame();
}

std::uint64_t Hub::request_next(Listener done, std::uint64_t captured_after_us) {
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = next_request_id_++;
    requests_.push_back(Request{id, std::move(done), captured_after_us});
  }
  // Registered before asking, so the frame this request causes cannot slip past it.
  demand_.request_frame();
  return id;
}

std::uint64_t Hub::request_still(Listener done) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_request_id_++;
  stills_.push_back(Request{id, std::move(done), 0});
  return id;
}

bool Hub::cancel_next(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  const auto same = [id](const Request& r) { return r.id == id; };
  return std::erase_if(requests_, same) + std::erase_if(stills_, same) > 0;
}

void Hub::cancel_all_requests() {
  std::lock_guard lock(mutex_);
  for (const Request& r : requests_)
    r.done(nullptr);
  requests_.clear();
  for (const Request& r : stills_)
    r.done(nullptr);
  stills_.clear();
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
