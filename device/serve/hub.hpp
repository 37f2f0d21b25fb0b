// hub.hpp - holds the newest encoded frame and tells the server about each new one.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>

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
  std::uint64_t published() const { return published_.load(); }
  std::uint64_t dropped_late() const { return dropped_late_.load(); }

 private:
  mutable std::mutex mutex_;
  EncodedFramePtr latest_;
  Listener listener_;
  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> dropped_late_{0};
};

}  // namespace camstream
