// connection.hpp - one client: protocol sniffing, the native handshake and the frame stream.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <asio.hpp>

#include "device/capture/demand.hpp"
#include "device/encode/encoded_frame.hpp"
#include "device/serve/http_session.hpp"
#include "device/serve/http_stats.hpp"
#include "shared/protocol.hpp"

namespace camstream {

class Server;

// A client holds at most one frame pending: a newer frame replaces an unsent one (a skip), so
// a slow client sees fewer frames and never delays anyone else. Frame prefix and JPEG go out
// in one scatter-gather write from the shared, immutable frame. A client whose first bytes are
// an HTTP method is handed to an HttpSession on the same socket, which keeps the same rules.
class Connection final : public std::enable_shared_from_this<Connection>, private HttpSessionOwner {
 public:
  Connection(asio::ip::tcp::socket socket, Server& server);

  void start(EncodedFramePtr latest);
  void deliver(const EncodedFramePtr& frame);
  // Closes the socket; the server forgets the connection.
  void close(const std::string& reason);

  const std::string& peer() const { return peer_; }
  // This client's line in /status, if it is being sent a stream.
  std::optional<ClientFigures> client_figures(std::uint64_t now_us) const;

 private:
  void wait_deadline();
  void on_sniffed();
  void on_hello();
  void read_header();
  void read_payload();
  void on_message();
  void write_next();
  // Writes a last answer and closes.
  void reply_and_close(std::span<const std::uint8_t> bytes, const std::string& reason);

  // HttpSessionOwner: what the HTTP session on this socket needs.
  std::shared_ptr<void> keep_alive() override;
  EncodedFramePtr latest_frame() override;
  Demand::Watch watch() override;
  bool frames_flowing() override;
  std::uint64_t request_frame(std::function<void(const EncodedFramePtr&)> done) override;
  void cancel_frame_request(std::uint64_t id) override;
  StatusFigures figures() override;
  void count_frame(bool skipped) override;
  void session_ended(const std::string& reason, bool refused) override;

  asio::ip::tcp::socket socket_;
  asio::steady_timer deadline_;  // the handshake's, then each frame write's
  Server& server_;
  std::string peer_;
  bool streaming_ = false;
  bool closed_ = false;
  bool writing_ = false;

  std::array<std::uint8_t, proto::kClientHelloSize> hello_{};
  proto::ServerHelloBytes hello_reply_{};
  std::array<std::uint8_t, proto::kMessageHeaderSize> header_in_{};
  std::array<std::uint8_t, proto::kMaxControlPayload> payload_in_{};
  proto::MessageHeader current_{};
  std::string reply_;  // a short non-native answer, kept alive while it is written

  EncodedFramePtr pending_;    // newest frame not yet being written
  EncodedFramePtr in_flight_;  // frame whose write is under way
  std::uint64_t write_started_us_ = 0;
  Demand::Watch watch_;  // held while streaming: frames are made only while someone watches
  std::uint64_t last_seq_sent_ = 0;
  bool sent_any_ = false;
  static constexpr std::size_t kMaxQueuedPongs = 4;
  std::deque<std::array<std::uint8_t, proto::kMessageHeaderSize + proto::kPongPayloadSize>> pongs_;
  std::array<std::uint8_t, proto::kMessageHeaderSize + proto::kPongPayloadSize> pong_out_{};

  std::uint64_t frames_sent_ = 0;
  std::uint64_t frames_skipped_ = 0;
  std::uint64_t connected_us_ = 0;
  RateMeter rate_;  // frames sent per second, native stream

  std::unique_ptr<HttpSession> http_;  // set once the client spoke HTTP
  bool http_refused_ = false;
};

}  // namespace camstream
