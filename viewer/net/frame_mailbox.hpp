// frame_mailbox.hpp - a one-slot hand-over from the network thread: the newest frame wins.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "viewer/frame.hpp"

namespace camstream {

// One pending frame at most. put() replaces a frame nobody took yet and counts it skipped, so
// the display never falls behind the network. close() ends the stream with a reason; reopen()
// readies it for the next connection of the same camera (the skipped count carries on).
class FrameMailbox {
 public:
  // Returns true when an untaken frame was replaced.
  bool put(ReceivedFrame&& frame) {
    std::lock_guard lock(mutex_);
    const bool replaced = slot_.has_value();
    if (replaced) ++skipped_;
    slot_ = std::move(frame);
    ready_.notify_one();
    return replaced;
  }

  std::optional<ReceivedFrame> take() {
    std::lock_guard lock(mutex_);
    return take_locked();
  }

  // Waits up to `timeout` for a frame; nothing when none came or the mailbox is closed.
  std::optional<ReceivedFrame> wait_take(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    ready_.wait_for(lock, timeout, [this] { return slot_.has_value() || closed_; });
    return take_locked();
  }

  // `permanent`: trying again cannot help (a refused token, another protocol version), so a
  // reconnecting viewer gives up instead.
  void close(std::string reason, bool is_error, bool permanent = false) {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    error_ = is_error;
    permanent_ = permanent;
    reason_ = std::move(reason);
    ready_.notify_all();
  }

  // Only once the connection that closed it has stopped: nothing may put() meanwhile.
  void reopen() {
    std::lock_guard lock(mutex_);
    closed_ = false;
    error_ = false;
    permanent_ = false;
    reason_.clear();
  }

  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }
  bool closed_with_error() const {
    std::lock_guard lock(mutex_);
    return closed_ && error_;
  }
  bool closed_for_good() const {
    std::lock_guard lock(mutex_);
    return closed_ && permanent_;
  }
  std::string reason() const {
    std::lock_guard lock(mutex_);
    return reason_;
  }
  std::uint64_t skipped() const {
    std::lock_guard lock(mutex_);
    return skipped_;
  }

 private:
  std::optional<ReceivedFrame> take_locked() {
    std::optional<ReceivedFrame> out;
    out.swap(slot_);
    return out;
  }

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::optional<ReceivedFrame> slot_;
  bool closed_ = false;
  bool error_ = false;
  bool permanent_ = false;
  std::string reason_;
  std::uint64_t skipped_ = 0;
};

}  // namespace camstream
