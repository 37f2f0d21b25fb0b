// hub.hpp - holds the newest encoded frame and tells the server about each new one.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "device/capture/demand.hpp"
#include "device/encode/encoded_frame.hpp"

namespace camstream {

// Only frames newer than the last published one get through: an encoder that finishes late
// has its result dropped, never re-ordered. The listener runs on the publishing (encoder)
// thread and must only hand the frame over (the server posts it to its event loop).
class Hub final : public EncodedSink {
 public:
  using Listener = std::function<void(const EncodedFramePtr&)>;

  void set_listener(Listener listener);
  void publish(EncodedFramePtr frame) override;

  EncodedFramePtr latest() const;
  // The newest frame if it was captured less than `max_age_us` ago, else null: while nobody
  // watched, nothing new was captured, and the newest picture may be arbitrarily old.
  EncodedFramePtr latest_fresh(std::uint64_t max_age_us = 1000000) const;
  std::uint64_t published() const { return published_.load(); }
  std::uint64_t dropped_late() const { return dropped_late_.load(); }

  // Who wants frames. A streaming session holds a Demand::Watch for as long as it streams;
  // the source sleeps in demand().acquire() while nobody does.
  Demand& demand() { return demand_; }

  // One frame on request, for a snapshot (HTTP /snapshot): asks the source for a frame even
  // when nobody streams, and calls `done` once with the next frame published after this call.
  // `done` runs on the publishing thread under the hub's lock, like the listener, so it must
  // only post the frame to its own loop. The caller bounds its wait itself (an encode can
  // fail) and calls cancel_next() with the returned id when it gives up.
  std::uint64_t request_next(Listener done);
  // False when the request was already answered (or never existed).
  bool cancel_next(std::uint64_t id);
  // Answers every pending request with nullptr, so no one waits on a stopping daemon.
  void cancel_all_requests();

 private:
  struct Request {
    std::uint64_t id;
    Listener done;
  };

  mutable std::mutex mutex_;
  EncodedFramePtr latest_;
  Listener listener_;
  std::vector<Request> requests_;
  std::uint64_t next_request_id_ = 1;
  Demand demand_;
  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> dropped_late_{0};
};

}  // namespace camstream
