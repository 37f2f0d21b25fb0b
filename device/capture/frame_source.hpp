// frame_source.hpp - the interface between capture and encoding: raw frames and who takes them.
#pragma once

#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>

#include "shared/yuv.hpp"

namespace camstream {

// One captured picture. Its planes belong to the source; releasing the last reference hands
// the buffer back to it (for a camera: re-queues the request), so holders keep it briefly.
struct RawFrame {
  std::uint64_t seq = 0;         // increases by one per captured frame, dropped ones included
  std::uint64_t capture_us = 0;  // CLOCK_MONOTONIC (see shared/clock.hpp)
  Yuv420View planes;
};
using RawFramePtr = std::shared_ptr<const RawFrame>;

// Takes frames from a source. offer() is called on the capture thread and must not block:
// it returns false when the frame is not wanted now (every encoder busy), and the source
// then counts it as dropped.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual bool offer(RawFramePtr frame) = 0;
  // For a source paced by the sink (the test pattern at --fps 0), instead of offer(): waits
  // until the sink can take the frame, so none is made only to be refused. False when `stop`
  // was requested first (the frame is then released and counts as dropped). A camera, paced
  // by its sensor, uses offer() and never waits. By default: offer(), which never waits.
  virtual bool offer_wait(RawFramePtr frame, std::stop_token /*stop*/) {
    return offer(std::move(frame));
  }
};

struct SourceStats {
  std::uint64_t captured = 0;   // frames offered to the sink, dropped ones included
  std::uint64_t dropped = 0;    // refused by the sink or no free buffer
  std::uint64_t over_rate = 0;  // delivered beyond --fps (watched or not), let go at once
};

// Produces frames on its own thread until stopped.
class FrameSource {
 public:
  virtual ~FrameSource() = default;
  virtual void start(FrameSink& sink) = 0;
  // Returns once the capture thread has ended; no offer() is made after it returns.
  virtual void stop() = 0;
  virtual std::string describe() const = 0;
  virtual SourceStats stats() const = 0;
  // The size of the frames it makes now: a camera's own choice, which may differ from the
  // size asked for, is known once it is open, before its first frame.
  virtual int width() const = 0;
  virtual int height() const = 0;
};

}  // namespace camstream
