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

namespace camstream {

struct EncoderStats {
  std::uint64_t encoded = 0;
  std::uint64_t refused = 0;  // offered while every worker was busy
  std::uint64_t failed = 0;
  std::uint64_t encode_us_total = 0;
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

  EncoderStats stats() const;
  int workers() const { return workers_; }

 private:
  void run();

  const int workers_;
  const int quality_;
  EncodedSink& sink_;
  std::vector<std::thread> threads_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<RawFramePtr> queue_;  // never longer than the number of idle workers
  int idle_ = 0;
  bool stopping_ = false;
  std::atomic<std::uint64_t> encoded_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> encode_us_{0};
};

}  // namespace camstream
