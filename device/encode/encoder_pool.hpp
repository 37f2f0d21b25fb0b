// encoder_pool.hpp - N JPEG encoder threads fed from the capture thread without blocking it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "device/capture/frame_source.hpp"
#include "device/encode/encoded_frame.hpp"
#include "device/encode/stage_times.hpp"

namespace camstream {

struct EncoderStats {
  std::uint64_t encoded = 0;
  std::uint64_t refused = 0;  // offered while every worker was busy
  std::uint64_t failed = 0;
  std::uint64_t encode_us_total = 0;
  StageTimes::Snapshot queue;   // offer() taking the frame -> a worker starting on it
  StageTimes::Snapshot encode;  // compression alone
};

// A frame goes to whichever worker is idle; when none is, offer() refuses it at once and the
// source drops it. Each worker compresses straight from the frame's planes into a buffer that
// becomes the published EncodedFrame: the JPEG is written once and never copied. Results may
// finish out of order; the sink decides what is stale.
class EncoderPool final : public FrameSink {
 public:
  EncoderPool(int workers, int quality, EncodedSink& sink);
  ~EncoderPool() override;
  EncoderPool(const EncoderPool&) = delete;
  EncoderPool& operator=(const EncoderPool&) = delete;

  void start();
  // Finishes frames already being encoded, drops queued ones, joins the workers.
  void stop();

  bool offer(RawFramePtr frame) override;
  // Takes the frame as soon as a worker is idle or, with every worker busy, as the one frame
  // waiting for the first to finish, so a worker going idle starts at once while the source
  // already draws the next. No sooner than a typical encode time divided by the number of
  // workers after the previous frame: without that spacing, workers freed together start
  // together, finish in a coin-toss order and the loser's frame is dropped as late. Refuses
  // (false) only when stopping.
  bool offer_wait(RawFramePtr frame, std::stop_token stop) override;

  EncoderStats stats() const;
  // JPEG quality, 1 to 100; a change applies from the next frame a worker starts on.
  void set_quality(int quality) { quality_.store(quality); }
  int quality() const { return quality_.load(); }
  int workers() const { return workers_; }

 private:
  void run();

  const int workers_;
  std::atomic<int> quality_;
  EncodedSink& sink_;
  std::vector<std::thread> threads_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable_any ready_;  // a worker took a frame from the queue
  struct Queued {
    RawFramePtr frame;
    std::uint64_t offered_us;
  };
  // Never longer than the number of idle workers, plus one frame from offer_wait().
  std::deque<Queued> queue_;
  int idle_ = 0;
  bool stopping_ = false;
  std::atomic<std::uint64_t> encoded_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> encode_us_{0};
  std::uint64_t typical_encode_us_ = 0;  // moving average, under mutex_
  std::uint64_t last_taken_us_ = 0;      // when offer() last took a frame, under mutex_
  StageTimes queue_times_;
  StageTimes encode_times_;
};

}  // namespace camstream
