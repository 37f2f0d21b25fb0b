// feed.hpp - one camera's stream as the user sees it: connections come and go, the feed stays.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "viewer/frame.hpp"
#include "viewer/net/frame_mailbox.hpp"
#include "viewer/net/reconnect_policy.hpp"
#include "viewer/net/stream_link.hpp"

namespace camstream {

// What the title and the overlay say about a camera.
enum class FeedState {
  kConnecting,    // the first connection, no frame yet
  kLive,          // frames arrive
  kStalled,       // connected, but no frame for kStallAfterUs
  kReconnecting,  // the stream ended; waiting to try again, or trying
  kEnded,         // given up: permanent error, or --no-reconnect
};
const char* to_string(FeedState state);

inline constexpr std::uint64_t kStallAfterUs = 1'000'000;

// Owns the connection (a StreamLink) and its mailbox, and replaces the connection when it
// ends, as the ReconnectPolicy says. Lives on the main thread: every call comes from there,
// with the caller's monotonic time, and poll() must come at least every 100 ms or so, since
// the next attempt starts from poll(). Counters add up over every connection.
class Feed {
 public:
  // Makes a connection (not started) that fills `mailbox`; called once per attempt.
  using MakeLink = std::function<std::unique_ptr<StreamLink>(FrameMailbox& mailbox)>;

  Feed(std::string name, MakeLink make, ReconnectSettings settings);
  ~Feed();
  Feed(const Feed&) = delete;
  Feed& operator=(const Feed&) = delete;

  // Once: starts the first connection.
  void start(std::uint64_t now_us);
  // Stops the connection and joins its thread; safe to repeat. The feed is kEnded after it.
  void stop();

  // The newest frame if one came, else nothing; also moves the state on and starts the next
  // attempt when its time has come. A transient end is logged once per distinct reason as a
  // warning, a final one as an error, a return after an end with how long it took.
  std::optional<ReceivedFrame> poll(std::uint64_t now_us);

  FeedState state() const { return state_; }
  // Why the last connection ended (empty before any ended).
  const std::string& reason() const { return reason_; }
  // Ended for good with an error (not by stop()).
  bool failed() const { return failed_; }
  const std::string& name() const { return name_; }
  std::uint64_t reconnects() const { return reconnects_; }
  // When the last frame came (or the feed started), on the caller's clock.
  std::uint64_t last_frame_us() const { return last_frame_us_; }

  std::uint64_t bytes_received() const;
  std::uint64_t frames_lost() const;
  std::uint64_t skipped() const { return mailbox_.skipped(); }
  // The current connection's estimate; false between connections and before the first pong.
  bool clock_offset(std::int64_t& offset_us) const;

 private:
  void connect();
  void ended(std::uint64_t now_us);

  const std::string name_;
  const MakeLink make_;
  ReconnectPolicy policy_;
  FrameMailbox mailbox_;
  std::unique_ptr<StreamLink> link_;
  FeedState state_ = FeedState::kConnecting;
  std::string reason_;
  std::string logged_reason_;
  bool failed_ = false;
  bool started_ = false;
  std::uint64_t next_attempt_us_ = 0;
  std::uint64_t ended_at_us_ = 0;
  std::uint64_t last_frame_us_ = 0;
  std::uint64_t reconnects_ = 0;
  std::uint64_t bytes_before_ = 0;  // of the connections replaced so far
  std::uint64_t lost_before_ = 0;
};

}  // namespace camstream
