// demand.cpp - the watcher count, one-shot requests and the capture thread's wait for either.
#include "device/capture/demand.hpp"

#include <utility>

namespace camstream {

Demand::Watch::Watch(Demand& demand) : demand_(&demand) {
  {
    std::lock_guard lock(demand.mutex_);
    ++demand.watchers_;
  }
  demand.changed_.notify_all();
}

Demand::Watch::Watch(Watch&& other) noexcept : demand_(std::exchange(other.demand_, nullptr)) {}

Demand::Watch& Demand::Watch::operator=(Watch&& other) noexcept {
  if (this != &other) {
    reset();
    demand_ = std::exchange(other.demand_, nullptr);
  }
  return *this;
}

void Demand::Watch::reset() {
  if (!demand_) return;
  std::lock_guard lock(demand_->mutex_);
  --demand_->watchers_;
  demand_ = nullptr;
}

void Demand::request_frame() {
  {
    std::lock_guard lock(mutex_);
    // Any number of outstanding requests is served by the next frame: a flag, not a count.
    requested_ = true;
  }
  changed_.notify_all();
}

bool Demand::take_locked() {
  const bool requested = requested_;
  // A frame made for watchers serves a pending snapshot too.
  requested_ = false;
  return watchers_ > 0 || requested;
}

bool Demand::acquire(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  if (take_locked()) return true;
  ++idle_waits_;
  if (!changed_.wait(lock, stop, [this] { return watchers_ > 0 || requested_; })) return false;
  return take_locked();
}

bool Demand::try_acquire() {
  std::lock_guard lock(mutex_);
  return take_locked();
}

void Demand::release_request() {
  {
    std::lock_guard lock(mutex_);
    requested_ = true;
  }
  changed_.notify_all();
}

int Demand::watchers() const {
  std::lock_guard lock(mutex_);
  return watchers_;
}

bool Demand::request_pending() const {
  std::lock_guard lock(mutex_);
  return requested_;
}

std::uint64_t Demand::idle_waits() const {
  std::lock_guard lock(mutex_);
  return idle_waits_;
}

}  // namespace camstream
