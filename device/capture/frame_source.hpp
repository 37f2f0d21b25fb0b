// frame_source.hpp - the interface between capture and encoding: raw frames and who takes them.
#pragma once

#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "device/capture/camera_controls.hpp"
#include "shared/yuv.hpp"

namespace camstream {

// One captured picture. Its planes belong to the source; releasing the last reference hands
// the buffer back to it (for a camera: re-queues the request), so holders keep it briefly.
struct RawFrame {
  std::uint64_t seq = 0;         // increases by one per captured frame, dropped ones included
  std::uint64_t capture_us = 0;  // CLOCK_MONOTONIC (see shared/clock.hpp)
  Yuv420View planes;
  // A full-size still asked for by request_still(), not a frame of the stream: it is encoded
  // and handed only to whoever asked for a still, never to the stream's clients. Its `seq` is
  // the stream's last one (it takes no number of its own).
  bool still = false;
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

// What the daemon's own controls set on a source (device/control/controls.hpp): the picture's
// size, rate and orientation. The camera may adjust the size.
struct SourceMode {
  int width = 1280;
  int height = 720;
  double fps = 30;  // 0: as fast as the encoders (test pattern) or the camera go
  bool hflip = false;
  bool vflip = false;
  int rotate = 0;  // 0 or 180
  bool operator==(const SourceMode&) const = default;
};

// "1280x720", as sizes are written in flags, logs and the control API.
inline std::string size_text(int width, int height) {
  return std::to_string(width) + "x" + std::to_string(height);
}

// A camera control's new value, already checked against its ControlRange.
struct ControlChange {
  std::string name;
  std::vector<double> value;
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

  // Changing it while it runs (the control API). Each call returns at once; the change is made
  // by the capture thread: a new rate from the next frame on, camera controls with the next
  // request queued, a new size or orientation by reconfiguring (a camera stops, is configured
  // again and restarts; its clients see a short no-signal picture at most, then the new size).
  // The mode as last asked for (the size the source really gives is width() x height()).
  virtual SourceMode mode() const = 0;
  // Whether set_mode() can flip or rotate the picture (a camera that can transform it).
  virtual bool can_transform() const { return false; }
  // The sizes it offers, largest first, as "WxH"; empty when any size within the daemon's
  // bounds is fine.
  virtual std::vector<std::string> sizes() const { return {}; }
  // Size, rate and orientation. False with a sentence in `error` when the source can never do
  // it (a flip on a source that cannot); a size the camera adjusts is not an error.
  virtual bool set_mode(const SourceMode& mode, std::string& error) = 0;
  // The camera's own controls with their values now; empty for a source without any.
  virtual std::vector<CameraControlState> camera_controls() const { return {}; }
  // Applies already-checked values on the next request; false with a sentence when the source
  // has no such control (it has none: the test pattern).
  virtual bool set_camera_controls(const std::vector<ControlChange>& changes, std::string& error) {
    (void)changes;
    error = "this source has no camera controls";
    return false;
  }

  // Full-resolution stills while the stream runs at its own size.
  // The size a still has ("full"): a camera's largest (its sensor's), the test pattern's
  // 1920x1080. {0, 0} when the source makes no stills.
  virtual std::pair<int, int> still_size() const { return {0, 0}; }
  // Asks for one still, captured after this call: a frame with `still` set, at still_size(),
  // offered to the sink like any other (from a second stream where the camera has one, else
  // by a brief switch of the camera to that size, with the stream's clients seeing the last
  // picture meanwhile). Several requests before it is made share it. False with a sentence
  // when it cannot.
  virtual bool request_still(std::string& error) {
    error = "this source makes no full-size stills";
    return false;
  }
};

}  // namespace camstream
