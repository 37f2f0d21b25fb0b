// encoder_pool.cpp - the worker threads and the hand-off from capture.
#include "device/encode/encoder_pool.hpp"

#include <new>
#include <string>

#include <pthread.h>

#include "shared/clock.hpp"
#include "shared/jpeg.hpp"
#include "shared/log.hpp"

namespace camstream {

EncoderPool::EncoderPool(int workers, int quality, EncodedSink& sink)
    : workers_(workers), quality_(quality), sink_(sink) {}

EncoderPool::~EncoderPool() {
  stop();
}

void EncoderPool::start() {
  std::lock_guard lock(mutex_);
  stopping_ = false;
  idle_ = workers_;
  for (int i = 0; i < workers_; ++i) {
    threads_.emplace_back([this, i] {
      // Named for top -H and for the benchmarks, which tell encoding from the rest by it.
      pthread_setname_np(pthread_self(), ("encode " + std::to_string(i)).c_str());
      run();
    });
  }
}

void EncoderPool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  ready_.notify_all();  // offer_wait() callers give up
  for (auto& t : threads_)
    t.join();
  threads_.clear();
}

bool EncoderPool::offer(RawFramePtr frame) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || static_cast<std::size_t>(idle_) <= queue_.size()) {
      refused_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    last_taken_us_ = monotonic_us();
    queue_.push_back(Queued{std::move(frame), last_taken_us_});
  }
  wake_.notify_one();
  return true;
}

bool EncoderPool::offer_wait(RawFramePtr frame, std::stop_token stop) {
  {
    std::unique_lock lock(mutex_);
    const auto room = [this] {
      return stopping_ || queue_.size() < static_cast<std::size_t>(idle_) + 1;
    };
    ready_.wait(lock, stop, room);
    const std::uint64_t spacing = typical_encode_us_ / static_cast<std::uint64_t>(workers_);
    const std::uint64_t now = monotonic_us();
    if (last_taken_us_ + spacing > now) {
      ready_.wait_for(lock, stop, std::chrono::microseconds(last_taken_us_ + spacing - now),
                      [this] { return stopping_; });
    }
    if (stopping_ || stop.stop_requested()) {
      if (stopping_) refused_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    last_taken_us_ = monotonic_us();
    queue_.push_back(Queued{std::move(frame), last_taken_us_});
  }
  wake_.notify_one();
  return true;
}

EncoderStats EncoderPool::stats() const {
  return EncoderStats{encoded_.load(),   refused_.load(),         failed_.load(),
                      encode_us_.load(), queue_times_.snapshot(), encode_times_.snapshot()};
}

void EncoderPool::run() {
  JpegEncoder encoder;
  bool busy = false;
  std::uint64_t last_encode_us = 0;
  for (;;) {
    RawFramePtr raw;
    std::uint64_t offered_us = 0;
    {
      std::unique_lock lock(mutex_);
      if (busy) {
        ++idle_;
        // An eighth of each new sample: steady against one slow frame, follows a new picture.
        typical_encode_us_ = typical_encode_us_ == 0
                                 ? last_encode_us
                                 : (typical_encode_us_ * 7 + last_encode_us) / 8;
      }
      busy = false;
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      raw = std::move(queue_.front().frame);
      offered_us = queue_.front().offered_us;
      queue_.pop_front();
      --idle_;
      busy = true;
      ready_.notify_all();  // room for a waiting offer_wait()
    }

    const Yuv420View& in = raw->planes;
    const std::size_t capacity = JpegEncoder::max_size(in.width, in.height);
    auto frame = std::make_shared<EncodedFrame>();
    try {
      frame->data = JpegBuffer(capacity);
    } catch (const std::bad_alloc&) {
      failed_.fetch_add(1, std::memory_order_relaxed);
      log::warn("frame " + std::to_string(raw->seq) + " not encoded: out of memory");
      continue;
    }
    frame->encode_start_us = monotonic_us();
    queue_times_.record(frame->encode_start_us - offered_us);
    const std::size_t size = encoder.compress(in, quality_.load(), frame->data.get(), capacity);
    frame->data.shrink_to(size);
    frame->encode_end_us = monotonic_us();
    frame->header.seq = raw->seq;
    frame->still = raw->still;
    frame->header.capture_us = raw->capture_us;
    frame->header.width = static_cast<std::uint16_t>(in.width);
    frame->header.height = static_cast<std::uint16_t>(in.height);
    frame->header.subsampling = proto::Subsampling::k420;
    raw.reset();  // the capture buffer goes back to the source now, before publishing

    if (size == 0 || size > proto::kMaxJpegBytes) {
      failed_.fetch_add(1, std::memory_order_relaxed);
      log::warn("frame " + std::to_string(frame->header.seq) +
                " not encoded: " + (size == 0 ? encoder.error() : "JPEG over the protocol bound"));
      continue;
    }
    frame->header.jpeg_size = static_cast<std::uint32_t>(size);
    frame->prefix = proto::encode_frame_prefix(frame->header);
    encoded_.fetch_add(1, std::memory_order_relaxed);
    encode_us_.fetch_add(frame->encode_end_us - frame->encode_start_us, std::memory_order_relaxed);
    encode_times_.record(frame->encode_end_us - frame->encode_start_us);
    // A full-size still is no sample of the stream's encode time, which paces offer_wait().
    if (!frame->still) last_encode_us = frame->encode_end_us - frame->encode_start_us;
    sink_.publish(std::move(frame));
  }
}

}  // namespace camstream
