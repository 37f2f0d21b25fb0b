// native_session.hpp - a client of the native protocol (camview): the handshake, pings and the
// frame stream, and (protocol version 3) the controls and full-size stills.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <asio.hpp>
#include <nlohmann/json.hpp>

#include "device/serve/deadline.hpp"
#include "device/serve/frame_slot.hpp"
#include "device/serve/session.hpp"
#include "device/serve/socket_options.hpp"
#include "device/serve/stall_detector.hpp"
#include "shared/byte_stream.hpp"
#include "shared/protocol.hpp"

namespace camstream {

// After the hello (and a client slot from the host), the client is sent every frame the
// FrameSlot lets through, each as frame prefix and shared JPEG in one scatter-gather write; it
// may ping at any time and is answered between frames. A client whose socket takes no byte of
// a write for the write timeout is cut as stalled (StallDetector), with a reset that frees
// what the kernel still holds for it. A client of protocol version 3 may also list the
// controls (and is then told of every change, by anyone), set them, and ask for a full-size
// still; the answers queue between frames like pongs. Anything else ends the session.
class NativeSession final : public Session, public std::enable_shared_from_this<NativeSession> {
 public:
  NativeSession(ByteStream stream, SessionHost& host, Peer peer);

  // `first`: the hello's first bytes, read by the sniff; the rest must arrive by `deadline`.
  void start(std::string_view first, Deadline::Clock::time_point deadline);

  void deliver(const EncodedFramePtr& frame) override;
  void close(const std::string& reason) override;
  std::optional<ClientFigures> client_figures(std::uint64_t now_us) const override;
  const Peer& peer() const override { return peer_; }

 private:
  using Pong = std::array<std::uint8_t, proto::kMessageHeaderSize + proto::kPongPayloadSize>;
  static constexpr std::size_t kMaxQueuedPongs = 4;
  // Control answers waiting to be written; a client that sends more while this many wait is
  // not read from until they have gone (change notifications merge into one, so they never
  // pile up).
  static constexpr std::size_t kMaxQueuedMessages = 8;
  // How long a still may take: a brief switch of the camera may take a second or two.
  static constexpr std::chrono::milliseconds kStillTimeout{10000};

  void on_hello();
  // The client's Auth message arrived in auth_in_.
  void on_auth();
  // Counts the client as a watcher and starts reading its pings; frames follow the hello.
  void start_streaming();
  void read_header();
  void read_payload();
  void on_message();
  // The version-3 messages.
  void list_controls();
  void set_controls();
  void request_still();
  void on_still(const EncodedFramePtr& still);
  // Queues a control message for writing (a ControlsChanged merges into one still queued).
  void queue_message(proto::MessageType type, const nlohmann::json& body);
  void queue_text(proto::MessageType type, std::string_view text);
  // Reads the next message unless too many answers wait (then after they went).
  void read_next();
  void write_next();
  // Writes `buffers` (which must stay alive until then) under the stall watch, then runs
  // `then`; a failed or stalled write ends the session.
  template <typename Buffers>
  void write(const Buffers& buffers, std::function<void()> then);
  // Writes a last answer, then ends the session.
  void reply_and_end(std::span<const std::uint8_t> bytes, const std::string& reason);
  // Closes, logs why and tells the host (a session that never streamed counts as refused).
  void end(const std::string& reason);
  void on_stall();

  ByteStream stream_;
  SessionHost& host_;
  Deadline deadline_;  // the handshake's
  StallDetector stall_;
  SendBufferCap send_buffer_;
  const Peer peer_;
  bool streaming_ = false;
  bool closed_ = false;
  bool writing_ = false;
  bool read_paused_ = false;
  std::uint16_t version_ = proto::kVersion;  // the client's, which the daemon speaks to it

  std::array<std::uint8_t, proto::kClientHelloSize> hello_{};
  proto::ServerHelloBytes hello_reply_{};
  std::array<std::uint8_t, proto::kMessageHeaderSize> header_in_{};
  // Sized to the message once its header passed the bounds (at most kMaxViewerPayload).
  std::vector<std::uint8_t> payload_in_;
  proto::MessageHeader current_{};
  proto::Nonce nonce_{};
  std::array<std::uint8_t, proto::kMessageHeaderSize + proto::kAuthPayloadSize> auth_in_{};
  std::array<std::uint8_t, proto::kMessageHeaderSize + proto::kAuthResultPayloadSize> auth_out_{};
  Role role_ = Role::kNone;  // set once a token was proved (or for every client when open)

  FrameSlot slot_;
  EncodedFramePtr writing_frame_;  // kept alive while its write is under way
  Demand::Watch watch_;  // held while streaming: frames are made only while someone watches
  std::deque<Pong> pongs_;
  Pong pong_out_{};
  struct Outgoing {
    proto::MessageType type;
    std::vector<std::uint8_t> bytes;  // the whole message
    nlohmann::json changed;           // a ControlsChanged's content, to merge more into
  };
  std::deque<Outgoing> messages_;
  std::vector<std::uint8_t> message_out_;
  std::uint64_t listener_ = 0;  // Controls::subscribe id; 0 when not subscribed
  std::uint64_t still_request_ = 0;
  asio::steady_timer still_timer_;
  EncodedFramePtr still_;  // arrived, waiting to be written or being written
  proto::FramePrefixBytes still_prefix_{};
  std::uint64_t connected_us_ = 0;
};

}  // namespace camstream
