// feed.cpp - the state machine between connections: live, stalled, reconnecting, ended.
#include "viewer/feed.hpp"

#include <chrono>
#include <cstdio>

#include "shared/log.hpp"

namespace camstream {

const char* to_string(FeedState state) {
  switch (state) {
    case FeedState::kConnecting:
      return "connecting";
    case FeedState::kLive:
      return "live";
    case FeedState::kStalled:
      return "stalled";
    case FeedState::kReconnecting:
      return "reconnecting";
    case FeedState::kEnded:
      return "ended";
  }
  return "?";
}

Feed::Feed(std::string name, MakeLink make, ReconnectSettings settings)
    : name_(std::move(name)), make_(std::move(make)), policy_(settings) {}

Feed::~Feed() {
  stop();
}

void Feed::start(std::uint64_t now_us) {
  if (started_) return;
  started_ = true;
  last_frame_us_ = now_us;
  connect();
}

void Feed::stop() {
  if (link_) link_->stop();
  if (started_ && state_ != FeedState::kEnded) state_ = FeedState::kEnded;
}

void Feed::connect() {
  if (link_) {
    link_->stop();
    bytes_before_ += link_->bytes_received();
    lost_before_ += link_->frames_lost();
    link_.reset();
  }
  mailbox_.reopen();
  link_ = make_(mailbox_);
  link_->start();
}

std::optional<ReceivedFrame> Feed::poll(std::uint64_t now_us) {
  if (!started_ || !link_) return std::nullopt;
  if (state_ == FeedState::kEnded) return mailbox_.take();  // a last frame may still be there
  if (state_ == FeedState::kReconnecting && next_attempt_us_ != 0) {
    if (now_us < next_attempt_us_) return std::nullopt;
    next_attempt_us_ = 0;
    ++reconnects_;
    connect();
  }
  auto frame = mailbox_.take();
  if (frame) {
    if (state_ == FeedState::kReconnecting) {
      char took[32];
      std::snprintf(took, sizeof took, "%.1f", static_cast<double>(now_us - ended_at_us_) / 1e6);
      log::info(name_ + " is back, " + took + " s after the stream ended");
      logged_reason_.clear();
    }
    state_ = FeedState::kLive;
    last_frame_us_ = now_us;
    policy_.live();
    return frame;
  }
  if (mailbox_.closed()) {
    ended(now_us);
  } else if (state_ == FeedState::kLive && now_us - last_frame_us_ > kStallAfterUs) {
    state_ = FeedState::kStalled;
  }
  return std::nullopt;
}

void Feed::ended(std::uint64_t now_us) {
  reason_ = mailbox_.reason();
  const bool error = mailbox_.closed_with_error();
  const bool permanent = mailbox_.closed_for_good();
  const auto wait = error ? policy_.after_end(permanent) : std::nullopt;
  if (!wait) {
    state_ = FeedState::kEnded;
    failed_ = error;
    // Said at once: a window stays open after it, and the reason must not wait for the exit.
    if (error) log::error(reason_);
    return;
  }
  if (state_ != FeedState::kReconnecting) ended_at_us_ = now_us;
  state_ = FeedState::kReconnecting;
  next_attempt_us_ =
      now_us + static_cast<std::uint64_t>(
                   std::chrono::duration_cast<std::chrono::microseconds>(*wait).count());
  if (reason_ != logged_reason_) {
    log::warn(reason_ + " (reconnecting)");
    logged_reason_ = reason_;
  }
}

std::uint64_t Feed::bytes_received() const {
  return bytes_before_ + (link_ ? link_->bytes_received() : 0);
}

std::uint64_t Feed::frames_lost() const {
  return lost_before_ + (link_ ? link_->frames_lost() : 0);
}

bool Feed::clock_offset(std::int64_t& offset_us) const {
  return link_ && state_ != FeedState::kReconnecting && link_->clock_offset(offset_us);
}

}  // namespace camstream
