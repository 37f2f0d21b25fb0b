// demand.hpp - whether anyone wants frames now: streaming clients and one-shot requests.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>

namespace camstream {

// Capture and encoding cost CPU (and, on a board, power) only while someone looks. Sessions
// that stream count as watchers; a snapshot asks for exactly one frame. The source asks
// acquire() before it produces a frame and sleeps in it while nothing is wanted.
// Thread-safe: the server's loop, HTTP sessions and the capture thread all use it.
class Demand {
 public:
  // Counts one watcher for its lifetime (or until reset()): hold one per streaming session,
  // so that every way a session ends gives its watcher back.
  class Watch {
   public:
    Watch() = default;
    explicit Watch(Demand& demand);
    ~Watch() { reset(); }
    Watch(Watch&& other) noexcept;
    Watch& operator=(Watch&& other) noexcept;
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;
    void reset();
    bool active() const { return demand_ != nullptr; }

   private:
    Demand* demand_ = nullptr;
  };

  // Asks for one more frame to be captured and encoded even while nobody watches (a
  // snapshot). Requests made together may be served by the same frame.
  void request_frame();

  // For the source, before capturing: returns true when a frame is wanted now (a watcher, or a
  // pending request, which this takes). Otherwise waits until one is, and returns false only
  // when `stop` is requested first.
  bool acquire(std::stop_token stop);
  // Non-blocking acquire(): true and takes a pending request, or false at once.
  bool try_acquire();
  // Gives back a request that acquire() took when its frame could not be used (every encoder
  // busy), so the snapshot still gets a frame.
  void release_request();

  int watchers() const;
  bool request_pending() const;
  // Times acquire() went to sleep because nothing was wanted: for tests and stats.
  std::uint64_t idle_waits() const;

 private:
  bool take_locked();

  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  int watchers_ = 0;
  bool requested_ = false;
  std::uint64_t idle_waits_ = 0;
};

}  // namespace camstream
