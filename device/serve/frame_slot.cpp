// frame_slot.cpp - newer replaces unsent, never backwards, and the counts that follow.
#include "device/serve/frame_slot.hpp"

namespace camstream {

void FrameSlot::begin(std::uint64_t now_us, EncodedFramePtr first) {
  clear();
  taken_any_ = false;
  sent_ = 0;
  skipped_ = 0;
  rate_ = RateMeter(now_us, 0);
  pending_ = std::move(first);
}

FrameSlot::Offer FrameSlot::offer(const EncodedFramePtr& frame) {
  if (!frame) return Offer::kIgnored;
  const std::uint64_t seq = frame->header.seq;
  if (taken_any_ && seq <= last_taken_seq_) return Offer::kIgnored;
  if (pending_ && seq <= pending_->header.seq) return Offer::kIgnored;
  const bool replaced = pending_ != nullptr;
  pending_ = frame;
  if (!replaced) return Offer::kStored;
  ++skipped_;
  return Offer::kReplaced;
}

EncodedFramePtr FrameSlot::take(std::uint64_t now_us) {
  if (in_flight_ || !pending_) return nullptr;
  in_flight_ = std::move(pending_);
  pending_.reset();
  taken_any_ = true;
  last_taken_seq_ = in_flight_->header.seq;
  write_started_us_ = now_us;
  return in_flight_;
}

std::uint64_t FrameSlot::written(std::uint64_t now_us) {
  in_flight_.reset();
  ++sent_;
  rate_.update(now_us, sent_);
  return now_us > write_started_us_ ? now_us - write_started_us_ : 0;
}

ClientFigures FrameSlot::figures(std::string peer, std::string kind, std::uint64_t connected_us,
                                 std::uint64_t now_us) const {
  ClientFigures c;
  c.peer = std::move(peer);
  c.kind = std::move(kind);
  c.connected_s = static_cast<double>(now_us - connected_us) / 1e6;
  c.fps = fps(now_us);
  c.sent = sent_;
  c.skipped = skipped_;
  return c;
}

void FrameSlot::clear() {
  pending_.reset();
  in_flight_.reset();
}

}  // namespace camstream
