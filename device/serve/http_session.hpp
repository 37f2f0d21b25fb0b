// http_session.hpp - one HTTP/1.1 client on the shared port: requests, snapshots, the MJPEG stream.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <asio.hpp>

#include "device/capture/demand.hpp"
#include "device/encode/encoded_frame.hpp"
#include "device/serve/http_request.hpp"
#include "device/serve/http_stats.hpp"

namespace camstream {

// What a session needs from the connection that owns it (and, through it, from the server).
// All of it runs on the server's event loop.
class HttpSessionOwner {
 public:
  virtual ~HttpSessionOwner() = default;
  // Keeps the owner, and so the session and its socket, alive while an operation is pending.
  virtual std::shared_ptr<void> keep_alive() = 0;
  virtual EncodedFramePtr latest_frame() = 0;
  // Counts the session as a watcher for the Watch's lifetime: the source produces frames only
  // while someone watches.
  virtual Demand::Watch watch() = 0;
  // Whether frames are being produced now, so latest_frame() is current.
  virtual bool frames_flowing() = 0;
  // Asks for the next frame published, even while nobody watches. `done` runs once on the
  // event loop with that frame, or with nullptr when the daemon stops; returns an id that
  // cancel_frame_request() takes when the caller stops waiting first.
  virtual std::uint64_t request_frame(std::function<void(const EncodedFramePtr&)> done) = 0;
  virtual void cancel_frame_request(std::uint64_t id) = 0;
  virtual StatusFigures figures() = 0;
  // A frame went out to a streaming client, or was replaced unsent.
  virtual void count_frame(bool skipped) = 0;
  // The session is over and the owner should close the socket. `refused`: the client sent
  // something this server does not accept (it counts as a refused connection).
  virtual void session_ended(const std::string& reason, bool refused) = 0;
};

struct HttpTimeouts {
  // A request head must be complete this long after the connection opened or the previous
  // response went out; a client that trickles its head gets 408 when it runs out.
  std::chrono::milliseconds request{5000};
  // One stream part or response taking longer than this to write means a stalled client.
  std::chrono::milliseconds write{30000};
};

// Serves requests one after another on a kept-alive connection until a stream starts (which
// then runs until the client leaves), an error response, or "Connection: close". A streaming
// client has at most one frame pending, exactly as a native client: a newer frame replaces an
// unsent one, and part header and shared JPEG go out in one scatter-gather write.
class HttpSession {
 public:
  // `peer` names the client in log lines.
  HttpSession(asio::ip::tcp::socket& socket, HttpSessionOwner& owner, HttpTimeouts timeouts,
              std::string peer);
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  // Starts with the bytes already read off the socket (the dialect sniff); the first request
  // head must be complete by `deadline`.
  void start(std::string_view first_bytes, std::chrono::steady_clock::time_point deadline);
  void deliver(const EncodedFramePtr& frame);
  // The owner is closing the socket: no more reads, writes or callbacks.
  void stop();

  bool streaming() const { return state_ == State::kStreaming; }
  // Whether this session ever started a stream (it may have ended since).
  bool streamed() const { return streamed_; }
  std::uint64_t frames_sent() const { return frames_sent_; }
  std::uint64_t frames_skipped() const { return frames_skipped_; }
  double fps(std::uint64_t now_us) const { return rate_.rate(now_us, frames_sent_); }

 private:
  enum class State { kReading, kWriting, kAwaitingFrame, kStreaming, kDraining, kEnded };
  enum class Route { kIndex, kStream, kSnapshot, kStatus, kMetrics, kNotFound };

  void read_more();
  void on_bytes();
  void handle(const http::Request& request);
  void send_text(int status, std::string_view type, std::string body, bool head_only,
                 bool keep_alive, std::string_view extra_fields = {});
  // Writes head_out_ and body_out_, then goes on as after_response() says.
  void write_response();
  void send_error(int status, const std::string& detail);
  void send_snapshot(const EncodedFramePtr& frame);
  // `token` tells the answer to this wait from a late one to an earlier wait.
  void on_requested_frame(std::uint64_t token, const EncodedFramePtr& frame);
  void cancel_request();
  void start_stream();
  void write_next_part();
  void watch_stream();
  void after_response();
  void drain();
  void arm(std::chrono::milliseconds after, void (HttpSession::*on_expiry)());
  void arm_at(std::chrono::steady_clock::time_point when, void (HttpSession::*on_expiry)());
  void disarm();
  void on_request_timeout();
  void on_frame_timeout();
  void on_write_timeout();
  void on_drain_timeout();
  void end(const std::string& reason, bool refused);

  asio::ip::tcp::socket& socket_;
  HttpSessionOwner& owner_;
  HttpTimeouts timeouts_;
  std::string peer_;
  asio::steady_timer timer_;
  std::uint64_t timer_generation_ = 0;  // a re-armed timer's stale expiry is ignored
  State state_ = State::kReading;

  std::string in_;  // request bytes not yet consumed; bounded by the parser's kMaxHeadBytes
  std::array<char, 4096> chunk_{};
  bool head_only_ = false;  // the request being answered is a HEAD
  bool keep_alive_ = false;
  std::uint64_t requests_ = 0;
  // Why the session ends once the last response is out (an error's status and detail).
  std::string end_reason_;
  bool end_refused_ = false;

  std::string head_out_;  // response head or stream part header, alive while written
  std::string body_out_;
  EncodedFramePtr body_frame_;  // the snapshot or stream part being written

  // A snapshot waits for a frame newer than this one, asked for with this request.
  std::uint64_t awaiting_after_seq_ = 0;
  std::uint64_t frame_request_ = 0;  // the hub's id for it; 0: none pending
  std::uint64_t snapshot_token_ = 0;

  bool streamed_ = false;
  Demand::Watch watch_;      // held while streaming
  EncodedFramePtr pending_;  // streaming: newest frame not yet being written
  bool part_in_flight_ = false;
  std::uint64_t last_seq_sent_ = 0;
  bool sent_any_ = false;
  std::uint64_t frames_sent_ = 0;
  std::uint64_t frames_skipped_ = 0;
  RateMeter rate_;
};

}  // namespace camstream
