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
  // With `captured_after_us`, only a frame captured at or after that time answers it (a
  // snapshot with ?fresh=1, for timelapses: never a frame that was already on its way).
  std::uint64_t request_next(Listener done, std::uint64_t captured_after_us = 0);
  // A full-size still (EncodedFrame::still): `done` gets the next one published, like
  // request_next(). The caller asks the source for it (FrameSource::request_still) after this.
  std::uint64_t request_still(Listener done);
  // Either kind of request. False when it was already answered (or never existed).
  bool cancel_next(std::uint64_t id);
  // Answers every pending request with nullptr, so no one waits on a stopping daemon.
  void cancel_all_requests();

 private:
  struct Request {
    std::uint64_t id;
    Listener done;
    std::uint64_t captured_after_us;
  };

  mutable std::mutex mutex_;
  EncodedFramePtr latest_;
  Listener listener_;
  std::vector<Request> requests_;
  std::vector<Request> stills_;
  std::uint64_t next_request_id_ = 1;
  Demand demand_;
  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> dropped_late_{0};
};

}  // namespace camstream
