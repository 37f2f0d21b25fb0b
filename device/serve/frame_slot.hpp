// frame_slot.hpp - the one-frame-pending rule that every streaming client, native or HTTP,
// follows.
#pragma once

#include <cstdint>

#include "device/encode/encoded_frame.hpp"
#include "device/figures.hpp"

namespace camstream {

// A streaming client has at most one frame waiting for its socket: a newer frame replaces an
// unsent one (a skip), so a slow client sees fewer frames and never delays the camera or
// anyone else, and frames never go backwards. The session writes what take() gives it, all of
// it in one scatter-gather write, and calls written() when the socket took it. Not
// thread-safe: a session uses it on the server's event loop.
class FrameSlot {
 public:
  enum class Offer {
    kIgnored,   // not newer than a frame this client has or will get
    kStored,    // now pending
    kReplaced,  // now pending, in place of an unsent one: counted as skipped
  };

  // Starts (or restarts) the count for a stream beginning at `now_us`, with `first` (may be
  // null) pending so a new viewer gets the current picture at once.
  void begin(std::uint64_t now_us, EncodedFramePtr first);
  Offer offer(const EncodedFramePtr& frame);
  // The pending frame, now in flight; null while a write is in flight or nothing is pending.
  EncodedFramePtr take(std::uint64_t now_us);
  // The in-flight frame's write completed; returns how long it took, in µs.
  std::uint64_t written(std::uint64_t now_us);
  // Lets go of both frames (the session ends).
  void clear();

  // This client's line in /status: `peer`, `kind` and how long it has been connected, with
  // the slot's counts.
  ClientFigures figures(std::string peer, std::string kind, std::uint64_t connected_us,
                        std::uint64_t now_us) const;

  bool in_flight() const { return in_flight_ != nullptr; }
  std::uint64_t sent() const { return sent_; }
  std::uint64_t skipped() const { return skipped_; }
  double fps(std::uint64_t now_us) const { return rate_.rate(now_us, sent_); }

 private:
  EncodedFramePtr pending_;
  EncodedFramePtr in_flight_;
  bool taken_any_ = false;
  std::uint64_t last_taken_seq_ = 0;
  std::uint64_t write_started_us_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t skipped_ = 0;
  RateMeter rate_;
};

}  // namespace camstream
