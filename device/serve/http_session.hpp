// http_session.hpp - one HTTP/1.1 client on the shared port: requests, snapshots, the MJPEG stream.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <asio.hpp>

#include "device/serve/deadline.hpp"
#include "device/serve/frame_slot.hpp"
#include "device/serve/http_request.hpp"
#include "device/serve/session.hpp"
#include "device/serve/socket_options.hpp"
#include "device/serve/stall_detector.hpp"
#include "shared/byte_stream.hpp"

namespace camstream {

// Serves requests one after another on a kept-alive connection until a stream starts (which
// then runs until the client leaves), an error response, or "Connection: close". A request
// head must be complete within the handshake timeout of the connection's start or the
// previous response; while it waits for one the session counts against the host's handshake
// budget, and while it answers one, against its clients (503 when they are full). A client
// whose socket takes no byte of a response or stream part for the write timeout is cut as
// stalled. A streaming client follows the FrameSlot rule exactly as a native one does, part
// header and shared JPEG going out in one scatter-gather write.
class HttpSession final : public Session, public std::enable_shared_from_this<HttpSession> {
 public:
  // `peer` names the client in log lines.
  HttpSession(ByteStream stream, SessionHost& host, Peer peer);

  // Starts with the bytes already read off the socket (the dialect sniff); the first request
  // head must be complete by `deadline`.
  void start(std::string_view first_bytes, Deadline::Clock::time_point deadline);

  void deliver(const EncodedFramePtr& frame) override;
  void close(const std::string& reason) override;
  std::optional<ClientFigures> client_figures(std::uint64_t now_us) const override;
  const Peer& peer() const override { return peer_; }

 private:
  enum class State {
    kReading,
    kReadingBody,
    kWriting,
    kAwaitingFrame,
    kAwaitingStill,
    kStreaming,
    kDraining,
    kEnded
  };
  enum class Route {
    kIndex,
    kStream,
    kSnapshot,
    kStatus,
    kMetrics,
    kControls,    // GET: the model; POST: a JSON object of changes
    kSetControl,  // GET /control?NAME=VALUE, and the other servers' forms of it
    kNotFound
  };

  void read_more();
  void on_bytes();
  void handle(const http::Request& request);
  void send_text(int status, std::string_view type, std::string body, bool head_only,
                 bool keep_alive, std::string_view extra_fields = {});
  // Writes head_out_ and body_out_, then goes on as after_response() says.
  void write_response();
  void send_error(int status, const std::string& detail, std::string_view extra_fields = {});
  void send_unauthorized();
  void send_snapshot(const EncodedFramePtr& frame);
  // The snapshot route: the newest frame, a fresh one (?fresh=1) or a full-size still
  // (?size=full).
  void snapshot(const http::Request& request);
  // The control routes, once the role is known (and a POST's body has arrived).
  void controls(const http::Request& request, Role role, Route route, const std::string& body);
  void read_body();
  // `token` tells the answer to this wait from a late one to an earlier wait.
  void on_requested_frame(std::uint64_t token, const EncodedFramePtr& frame);
  void cancel_request();
  void start_stream();
  void write_next_part();
  void watch_stream();
  void after_response();
  void drain();
  // Arms the deadline to call `on_expiry` unless the session has ended by then.
  void arm_at(Deadline::Clock::time_point when, void (HttpSession::*on_expiry)());
  void arm(std::chrono::milliseconds after, void (HttpSession::*on_expiry)());
  void on_request_timeout();
  void on_frame_timeout();
  void on_stall();
  void on_drain_timeout();
  // Closes, logs why and tells the host.
  void end(const std::string& reason, bool refused);

  ByteStream stream_;
  SessionHost& host_;
  const Peer peer_;
  Deadline deadline_;  // for the request head, a snapshot's frame, the drain
  StallDetector stall_;
  SendBufferCap send_buffer_;
  State state_ = State::kReading;
  std::uint64_t connected_us_ = 0;

  std::string in_;  // request bytes not yet consumed; bounded by the parser's kMaxHeadBytes
  std::array<char, 4096> chunk_{};
  bool head_only_ = false;  // the request being answered is a HEAD
  bool keep_alive_ = false;
  std::uint64_t requests_ = 0;
  // Why the session ends once the last response is out (an error's status and detail).
  std::string end_reason_;
  bool end_refused_ = false;
  // A POST /controls whose body is still arriving: its head, and the role it presented.
  http::Request body_request_;
  Role body_role_ = Role::kNone;

  std::string head_out_;  // response head or stream part header, alive while written
  std::string body_out_;
  EncodedFramePtr body_frame_;  // the snapshot or stream part being written

  // A snapshot waits for a frame newer than this one, asked for with this request.
  std::uint64_t awaiting_after_seq_ = 0;
  std::uint64_t frame_request_ = 0;  // the hub's id for it; 0: none pending
  std::uint64_t snapshot_token_ = 0;
  bool fresh_wait_ = false;  // the snapshot awaited must be captured after it was asked for

  bool streamed_ = false;  // a stream was started (it may have ended since)
  bool stream_head_in_flight_ = false;
  Demand::Watch watch_;  // held while streaming
  FrameSlot slot_;
};

}  // namespace camstream
