// native_connection.hpp - camview's native-protocol connection: handshake, read frames, ping.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <asio.hpp>

#include "shared/address.hpp"
#include "shared/protocol.hpp"
#include "viewer/net/control_channel.hpp"
#include "viewer/net/frame_mailbox.hpp"
#include "viewer/net/stream_link.hpp"

namespace camstream {

// The native protocol's side of camview (docs/protocol.md): handshake, frames, and a ping a
// second whose pongs give the clock offset to the daemon. With a ControlChannel, it also
// asks for the controls once connected (and so hears of every change), sends the channel's
// requests and hands it the daemon's answers.
class NativeViewerConnection final : public StreamLink {
 public:
  // `token`: proved to a daemon that asks for one (never sent itself); empty for none.
  NativeViewerConnection(HostPort target, FrameMailbox& mailbox, std::function<void()> notify,
                         ConnectionLimits limits = {}, std::string token = {},
                         std::shared_ptr<TlsClient> tls = nullptr,
                         std::shared_ptr<ControlChannel> controls = nullptr);
  ~NativeViewerConnection() override;

  // Estimated daemon clock minus viewer clock, in µs, from the ping with the shortest round
  // trip so far; false until the first pong.
  bool clock_offset(std::int64_t& offset_us) const override;

 private:
  void on_connected() override;
  void on_closing() override;
  void read_server_hello();
  // The hello asked for a token: read its nonce, send the proof, read the answer.
  void authenticate();
  // After an OK hello or an accepted token: pings and frames.
  void start_stream();
  void read_header();
  void read_payload();
  void send_ping();
  // Queues a message; messages go out one whole message at a time, in order.
  void send(std::vector<std::uint8_t> message, bool ping = false);
  void write_more();
  // Sends what the control channel has waiting.
  void flush_controls();
  // A version-3 message from the daemon, whole in payload_.
  void on_control_message();

  std::chrono::milliseconds ping_interval_;
  asio::steady_timer ping_timer_;
  proto::ClientHelloBytes hello_out_{};
  proto::ServerHelloBytes hello_in_{};
  proto::MessageHeaderBytes header_in_{};
  proto::MessageHeader current_{};
  const std::string token_;
  proto::Nonce nonce_{};
  std::array<std::uint8_t, proto::kMessageHeaderSize + proto::kAuthPayloadSize> auth_out_{};
  std::array<std::uint8_t, proto::kMessageHeaderSize + proto::kAuthResultPayloadSize> auth_in_{};
  std::vector<std::uint8_t> payload_;
  struct Outgoing {
    std::vector<std::uint8_t> bytes;
    bool ping = false;
  };
  std::deque<Outgoing> out_;
  Outgoing writing_out_;
  bool writing_ = false;
  bool ping_in_flight_ = false;  // queued or being written
  std::shared_ptr<ControlChannel> controls_;
  bool have_seq_ = false;
  std::uint64_t last_seq_ = 0;

  mutable std::mutex clock_mutex_;
  bool have_offset_ = false;
  std::int64_t offset_us_ = 0;
  std::uint64_t best_rtt_us_ = 0;
};

}  // namespace camstream
