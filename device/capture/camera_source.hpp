// camera_source.hpp - frames from a CameraDevice: zero-copy planes, drop when busy, no-signal.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

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
  bool set_mode(const SourceMode& mode, std::string& error) override;

 private:
  struct Events;
  struct Session;

  bool open_session(std::string& error);
  void close_session(const std::string& why);
  void run(FrameSink& sink);
  void on_completed(FrameSink& sink, const CameraCompletion& c);
  void offer(FrameSink& sink, RawFramePtr frame);
  void offer_no_signal(FrameSink& sink);

  std::unique_ptr<CameraDevice> device_;
  const CameraSourceOptions options_;
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

  mutable std::mutex info_mutex_;  // guards description_, width_, height_
  std::string description_;
  int width_;
  int height_;

  std::atomic<std::uint64_t> captured_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> over_rate_{0};
  std::atomic<bool> signal_{false};
  std::atomic<std::uint64_t> opened_{0};
  std::atomic<std::uint64_t> lost_{0};
  std::atomic<std::uint64_t> no_signal_{0};
};

}  // namespace camstream
