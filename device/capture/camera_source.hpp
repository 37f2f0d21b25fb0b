// camera_source.hpp - frames from a CameraDevice: zero-copy planes, drop when busy, no-signal.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "device/capture/camera_device.hpp"
#include "device/capture/demand.hpp"
#include "device/capture/frame_rate_limit.hpp"
#include "device/capture/frame_source.hpp"
#include "device/capture/image_pool.hpp"

namespace camstream {

struct CameraSourceOptions {
  CaptureSettings settings;
  // How often to try to reopen a camera that is gone.
  std::chrono::milliseconds reopen_interval{1000};
  // A running camera that completes nothing for this long is taken as failed.
  std::chrono::milliseconds stall_timeout{3000};
  // So many failed captures in a row count as a failed camera.
  int max_failed_in_a_row = 10;
  // Rate of the no-signal picture while the camera is gone: low, it only says "still here".
  double no_signal_fps = 2;
  // Stills from a second, full-size stream where the camera can run one beside the video
  // stream; without it (or where it cannot) a still is a brief switch to the full size.
  bool still_stream = true;
  // Frames let go after a switch to the full size before the still is taken, so that
  // exposure and white balance settle on the new configuration.
  int still_settle_frames = 3;
};

struct CameraSourceStats {
  bool signal = false;          // the camera is running now
  std::uint64_t opened = 0;     // successful opens, the first one included
  std::uint64_t lost = 0;       // times the camera failed or went away
  std::uint64_t no_signal = 0;  // no-signal frames produced
};

// Drives one CameraDevice on its own thread. Each buffer is mapped once when the camera starts;
// a frame's planes point straight into its buffer, and when the last holder of the frame lets
// go the buffer is queued again. A frame the sink refuses is dropped and its buffer queued
// again at once. When the camera goes away or stops delivering, the source logs it, serves a
// no-signal picture at the camera's size and tries to reopen the camera until it is back; the
// sink (and so every client) never notices more than a change of picture.
//
// Changes at run time (set_mode, set_camera_controls, request_still) return at once and are
// made by the capture thread: a rate and controls with the next request queued; a size or
// orientation by stopping the camera and configuring it again (a short gap in the stream). A
// size the camera refuses is logged and the source goes back to the last mode that worked, and
// mode() says so. Controls set at run time are kept across reconfigurations and reopenings.
class CameraSource final : public FrameSource {
 public:
  CameraSource(std::unique_ptr<CameraDevice> device, CameraSourceOptions options);
  ~CameraSource() override;
  CameraSource(const CameraSource&) = delete;
  CameraSource& operator=(const CameraSource&) = delete;

  // Opens, configures and starts the camera in the caller's thread, so a camera that is not
  // there or settings it refuses can stop the program before it serves. False with a sentence
  // in `error`. Call before start(); without it start() opens the camera in the background.
  bool open(std::string& error);

  // Before start(): offer frames only while `demand` wants one. The camera keeps running (it
  // is slow to restart); unwanted frames go straight back to it, unencoded.
  void set_demand(Demand* demand) { demand_ = demand; }

  void start(FrameSink& sink) override;
  void stop() override;
  std::string describe() const override;
  SourceStats stats() const override;
  CameraSourceStats camera_stats() const;

  // The size frames have: the camera's choice once open, else the size asked for.
  int width() const override;
  int height() const override;
  SourceMode mode() const override;
  bool can_transform() const override;
  std::vector<std::string> sizes() const override;
  bool set_mode(const SourceMode& mode, std::string& error) override;
  std::vector<CameraControlState> camera_controls() const override;
  bool set_camera_controls(const std::vector<ControlChange>& changes, std::string& error) override;
  // The camera's largest size once it has been open; {0, 0} before.
  std::pair<int, int> still_size() const override;
  bool request_still(std::string& error) override;

 private:
  struct Events;
  struct Mapped;
  struct Session;
  // Why open_session() failed: the camera is not there, or it refused the settings.
  enum class OpenFailure { kNone, kOpen, kConfigure };

  // `for_still`: the brief switch to the full size, which clients do not see as a new size.
  OpenFailure open_session(const CaptureSettings& settings, std::string& error,
                           bool for_still = false);
  // open_session() with settings_, falling back to the last mode that worked when the camera
  // refuses a new size or orientation.
  bool open_current(std::string& error);
  void close_session(const std::string& why);
  CaptureSettings settings_with_controls(CaptureSettings settings) const;
  void run(FrameSink& sink);
  void apply_mode();
  void apply_controls(const std::vector<ControlChange>& changes);
  void start_still_switch();
  void end_still_switch();
  bool requeue(int buffer);
  std::chrono::milliseconds stall_timeout() const;
  void on_completed(FrameSink& sink, const CameraCompletion& c);
  void on_still_completed(FrameSink& sink, const CameraCompletion& c);
  bool still_wanted() const;
  std::uint64_t last_seq() const;
  // A frame over `view` that hands `buffer` (or the still stream's `still_buffer`) back to the
  // capture thread when released.
  RawFramePtr wrap(const Yuv420View& view, std::uint64_t seq, std::uint64_t capture_us, bool still,
                   int buffer, int still_buffer);
  void offer(FrameSink& sink, RawFramePtr frame);
  bool offer_still(FrameSink& sink, RawFramePtr frame);
  void offer_no_signal(FrameSink& sink);

  std::unique_ptr<CameraDevice> device_;
  const CameraSourceOptions options_;
  // Capture thread only (and open() before start()): what the camera is, or is to be,
  // configured with, and the last such settings that opened it.
  CaptureSettings settings_;
  CaptureSettings good_settings_;
  bool have_good_settings_ = false;
  bool reconfigure_ = false;  // a new size or orientation waits to be applied
  // The brief switch to the full size for a still, where there is no still stream.
  bool still_switch_ = false;
  bool switch_back_ = false;
  int still_skip_ = 0;
  bool still_queued_ = false;         // the still stream's buffer is with the camera
  bool still_held_ = false;           // ... or with a frame not yet released
  std::uint64_t still_attached_ = 0;  // still_asked_ when the still under way was begun
  std::uint64_t still_served_ = 0;    // still_asked_ as of the last still delivered
  Demand* demand_ = nullptr;
  std::shared_ptr<Events> events_;
  std::shared_ptr<Session> session_;  // the running camera; null while there is no signal
  ImagePool no_signal_pool_;          // no-signal pictures, drawn once per size and reused
  std::uint64_t generation_ = 0;      // of session_: events of older sessions are ignored
  std::uint64_t seq_ = 0;
  FrameRateLimit rate_limit_;  // capture thread only
  int failed_in_a_row_ = 0;
  std::chrono::steady_clock::time_point last_completion_;
  std::chrono::steady_clock::time_point next_no_signal_;
  std::chrono::steady_clock::time_point next_reopen_;
  std::thread thread_;

  mutable std::mutex info_mutex_;  // guards the members below up to the atomics
  std::string description_;
  int width_;
  int height_;
  SourceMode mode_;                  // as set_mode() last asked, or as fallen back to
  CameraCapabilities capabilities_;  // of the last camera configured; empty before
  bool have_capabilities_ = false;
  // Control values set by --control and at run time, by name: the values clients see, and
  // what a reopened camera is configured with.
  std::map<std::string, std::vector<double>> control_values_;
  std::atomic<std::uint64_t> still_asked_{0};  // request_still() calls so far

  std::atomic<std::uint64_t> captured_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> over_rate_{0};
  std::atomic<bool> signal_{false};
  std::atomic<std::uint64_t> opened_{0};
  std::atomic<std::uint64_t> lost_{0};
  std::atomic<std::uint64_t> no_signal_{0};
};

}  // namespace camstream
