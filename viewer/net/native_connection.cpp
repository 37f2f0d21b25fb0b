// native_connection.cpp - the viewer's side of the native protocol, on its own event loop.
#include "viewer/net/native_connection.hpp"

#include "shared/clock.hpp"

namespace camstream {

NativeViewerConnection::NativeViewerConnection(HostPort target, FrameMailbox& mailbox,
                                               std::function<void()> notify,
                                               ConnectionLimits limits, std::string token,
                                               std::shared_ptr<TlsClient> tls,
                                               std::shared_ptr<ControlChannel> controls)
    : StreamLink(target, (tls ? "camstreams://" : "") + to_string(target), "camstreamd", mailbox,
                 std::move(notify), limits, std::move(tls)),
      ping_interval_(limits.ping_interval),
      ping_timer_(io_),
      token_(std::move(token)),
      controls_(std::move(controls)) {}

NativeViewerConnection::~NativeViewerConnection() {
  stop();
  // The channel must not wake an event loop about to be gone.
  if (controls_) controls_->detach();
}

bool NativeViewerConnection::clock_offset(std::int64_t& offset_us) const {
  std::lock_guard lock(clock_mutex_);
  offset_us = offset_us_;
  return have_offset_;
}

void NativeViewerConnection::on_closing() {
  ping_timer_.cancel();
  if (controls_) controls_->detach();
}

void NativeViewerConnection::on_connected() {
  hello_out_ = proto::encode(proto::ClientHello{});
  asio::async_write(stream_, asio::buffer(hello_out_), [this](std::error_code e, std::size_t) {
    if (e && !done()) fail("lost " + name() + " during the handshake: " + e.message());
  });
  read_server_hello();
}

void NativeViewerConnection::read_server_hello() {
  // Read the first bytes alone: a peer that is not camstreamd may send fewer than a hello.
  asio::async_read(
      stream_, asio::buffer(hello_in_.data(), proto::kMagic.size()),
      [this](std::error_code e, std::size_t) {
        if (done()) return;
        if (e) {
          return fail(name() + " closed the connection during the handshake; is it a camstreamd?");
        }
        if (!std::equal(proto::kMagic.begin(), proto::kMagic.end(), hello_in_.begin())) {
          return fail_for_good(
              name() +
              " does not speak the camstream protocol; is it a camstreamd, and the "
              "right port?");
        }
        asio::async_read(
            stream_, asio::buffer(hello_in_.data() + 4, hello_in_.size() - 4),
            [this](std::error_code e2, std::size_t) {
              if (done()) return;
              if (e2) return fail(name() + " closed the connection during the handshake");
              proto::ServerHello hello;
              const proto::Error err = proto::decode(hello_in_, hello);
              if (err == proto::Error::kUnsupportedVersion) {
                const bool older = hello.version < proto::kVersion;
                return fail_for_good(
                    name() + " speaks camstream protocol version " + std::to_string(hello.version) +
                    "; this camview speaks version " + std::to_string(proto::kVersion) +
                    ": upgrade " + (older ? "camstreamd" : "camview") +
                    " (camview and camstreamd of the same release work together)");
              }
              if (err != proto::Error::kNone) {
                return fail(name() + " sent a bad handshake: " + std::string(proto::describe(err)));
              }
              bytes_received_ += proto::kServerHelloSize;
              touch();
              if (hello.status == proto::HelloStatus::kAuthRequired) return authenticate();
              start_stream();
            });
      });
}

void NativeViewerConnection::start_stream() {
  send_ping();
  if (controls_) {
    // The list first: from then on the daemon tells this connection of every change.
    const auto list = proto::encode_empty(proto::MessageType::kListControls);
    send(std::vector<std::uint8_t>(list.begin(), list.end()));
    controls_->attach([this] { asio::post(io_, [this] { flush_controls(); }); });
    flush_controls();
  }
  read_header();
}

void NativeViewerConnection::flush_controls() {
  if (done() || !controls_) return;
  for (auto& message : controls_->take_outgoing())
    send(std::move(message));
}

void NativeViewerConnection::send(std::vector<std::uint8_t> message, bool ping) {
  out_.push_back(Outgoing{std::move(message), ping});
  write_more();
}

void NativeViewerConnection::write_more() {
  if (writing_ || out_.empty() || done()) return;
  writing_out_ = std::move(out_.front());
  out_.pop_front();
  writing_ = true;
  asio::async_write(stream_, asio::buffer(writing_out_.bytes),
                    [this](std::error_code e, std::size_t) {
                      writing_ = false;
                      if (writing_out_.ping) ping_in_flight_ = false;
                      if (e) {
                        if (!done()) fail("lost " + name() + ": " + e.message());
                        return;
                      }
                      write_more();
                    });
}

void NativeViewerConnection::authenticate() {
  if (token_.empty()) {
    return fail_for_good(name() +
                         " needs a token; give it with --token TOKEN, --token-file FILE or "
                         "CAMSTREAM_TOKEN (camstreamd --show-access on the camera prints it)");
  }
  asio::async_read(stream_, asio::buffer(nonce_), [this](std::error_code e, std::size_t) {
    if (done()) return;
    if (e) return fail(name() + " closed the connection during the handshake");
    bytes_received_ += nonce_.size();
    auth_out_ = proto::encode(proto::Auth{proto::auth_proof(token_, nonce_)});
    asio::async_write(stream_, asio::buffer(auth_out_), [this](std::error_code e2, std::size_t) {
      if (e2 && !done()) fail("lost " + name() + " during the handshake: " + e2.message());
    });
    asio::async_read(stream_, asio::buffer(auth_in_), [this](std::error_code e2, std::size_t) {
      if (done()) return;
      if (e2) return fail(name() + " closed the connection during the token check");
      bytes_received_ += auth_in_.size();
      touch();
      const std::span<const std::uint8_t> in(auth_in_);
      proto::MessageHeader header;
      proto::AuthResult result;
      proto::Error err =
          proto::decode(in.first(proto::kMessageHeaderSize), header, proto::kMaxFramePayload);
      if (err == proto::Error::kNone && header.type != proto::MessageType::kAuthResult)
        err = proto::Error::kUnexpectedType;
      if (err == proto::Error::kNone)
        err = proto::decode_auth_result_payload(in.subspan(proto::kMessageHeaderSize), result);
      if (err != proto::Error::kNone) {
        return fail(name() +
                    " sent a bad answer to the token: " + std::string(proto::describe(err)));
      }
      if (result.outcome != proto::AuthOutcome::kAccepted) {
        return fail_for_good(name() +
                             " refused the token; check it against camstreamd --show-access "
                             "on the camera");
      }
      start_stream();
    });
  });
}

void NativeViewerConnection::send_ping() {
  if (done()) return;
  if (!ping_in_flight_) {
    const auto ping = proto::encode(proto::Ping{monotonic_us()});
    ping_in_flight_ = true;
    send(std::vector<std::uint8_t>(ping.begin(), ping.end()), true);
  }
  ping_timer_.expires_after(ping_interval_);
  ping_timer_.async_wait([this](std::error_code e) {
    if (!e) send_ping();
  });
}

void NativeViewerConnection::read_header() {
  asio::async_read(stream_, asio::buffer(header_in_), [this](std::error_code e, std::size_t) {
    if (done()) return;
    if (e == asio::error::eof) return fail("stream ended: " + name() + " closed the connection");
    if (e) return fail("lost " + name() + ": " + e.message());
    bytes_received_ += header_in_.size();
    touch();
    const proto::Error err = proto::decode(header_in_, current_, proto::kMaxFramePayload);
    if (err != proto::Error::kNone) {
      return fail(name() + " sent a bad message: " + std::string(proto::describe(err)));
    }
    const bool control = current_.type >= proto::MessageType::kControlsList &&
                         current_.type <= proto::MessageType::kStillError;
    if (current_.type != proto::MessageType::kFrame && current_.type != proto::MessageType::kPong &&
        !(control && controls_)) {
      return fail(name() + " sent a bad message: " +
                  std::string(proto::describe(proto::Error::kUnexpectedType)));
    }
    // The length was checked against kMaxFramePayload before this allocation.
    payload_.resize(current_.length);
    read_payload();
  });
}

void NativeViewerConnection::read_payload() {
  asio::async_read(
      stream_, asio::buffer(payload_), progress(), [this](std::error_code e, std::size_t) {
        if (done()) return;
        if (e == asio::error::eof) {
          return fail("stream ended: " + name() +
                      " closed the connection in the middle of a message");
        }
        if (e) return fail("lost " + name() + ": " + e.message());
        const std::uint64_t now = monotonic_us();
        bytes_received_ += payload_.size();
        touch();
        if (current_.type == proto::MessageType::kPong) {
          proto::Pong pong;
          if (proto::decode_pong_payload(payload_, pong) == proto::Error::kNone &&
              pong.client_time_us <= now) {
            const std::uint64_t rtt = now - pong.client_time_us;
            const auto midpoint = static_cast<std::int64_t>(pong.client_time_us + rtt / 2);
            std::lock_guard lock(clock_mutex_);
            if (!have_offset_ || rtt <= best_rtt_us_) {
              have_offset_ = true;
              best_rtt_us_ = rtt;
              offset_us_ = static_cast<std::int64_t>(pong.server_time_us) - midpoint;
            }
          }
          return read_header();
        }
        if (current_.type != proto::MessageType::kFrame) {
          on_control_message();
          if (!done()) read_header();
          return;
        }
        ReceivedFrame frame;
        const proto::Error err = proto::decode_frame_payload(payload_, frame.header);
        if (err != proto::Error::kNone) {
          return fail(name() + " sent a bad frame: " + std::string(proto::describe(err)));
        }
        if (have_seq_ && frame.header.seq <= last_seq_) {
          return fail(name() + " sent frame " + std::to_string(frame.header.seq) + " after frame " +
                      std::to_string(last_seq_) + "; sequence numbers must increase");
        }
        if (have_seq_) frames_lost_ += frame.header.seq - last_seq_ - 1;
        have_seq_ = true;
        last_seq_ = frame.header.seq;
        frame.jpeg_offset = proto::kFrameHeaderSize;
        frame.received_us = now;
        frame.payload = std::move(payload_);
        payload_ = {};
        deliver(std::move(frame));
        read_header();
      });
}

void NativeViewerConnection::on_control_message() {
  ControlEvent event;
  if (current_.type == proto::MessageType::kStill) {
    event.kind = ControlEvent::Kind::kStill;
    const proto::Error err = proto::decode_frame_payload(payload_, event.header);
    if (err != proto::Error::kNone) {
      return fail(name() + " sent a bad still: " + std::string(proto::describe(err)));
    }
    event.jpeg.assign(payload_.begin() + proto::kFrameHeaderSize, payload_.end());
  } else {
    std::string_view text;
    const proto::Error err = proto::decode_text_payload(current_.type, payload_, text);
    if (err != proto::Error::kNone) {
      return fail(name() + " sent a bad control message: " + std::string(proto::describe(err)));
    }
    if (current_.type == proto::MessageType::kStillError) {
      event.kind = ControlEvent::Kind::kStillError;
      event.text = std::string(text);
    } else {
      event.kind = current_.type == proto::MessageType::kControlsList ? ControlEvent::Kind::kList
                   : current_.type == proto::MessageType::kControlsResult
                       ? ControlEvent::Kind::kResult
                       : ControlEvent::Kind::kChanged;
      try {
        event.json = nlohmann::json::parse(text);
      } catch (const nlohmann::json::exception& e) {
        return fail(name() + " sent controls that are not JSON (" + e.what() +
                    "); camview and camstreamd of the same release work together");
      }
      if (!event.json.is_object()) {
        return fail(name() +
                    " sent controls that are not a JSON object; camview and "
                    "camstreamd of the same release work together");
      }
    }
  }
  controls_->post(std::move(event));
  wake();
}

}  // namespace camstream
