// native_session.cpp - a native client's life: hello, stream frames, answer pings and control
// requests, close.
#include "device/serve/native_session.hpp"

#include <algorithm>
#include <cstring>

#include "device/control/controls.hpp"
#include "shared/clock.hpp"
#include "shared/crypto.hpp"
#include "shared/log.hpp"

namespace camstream {

NativeSession::NativeSession(ByteStream stream, SessionHost& host, Peer peer)
    : stream_(std::move(stream)),
      host_(host),
      deadline_(stream_.get_executor()),
      stall_(stream_.get_executor(), host.limits().write_timeout),
      peer_(std::move(peer)),
      still_timer_(stream_.get_executor()),
      connected_us_(monotonic_us()) {}

void NativeSession::start(std::string_view first, Deadline::Clock::time_point deadline) {
  const std::size_t n = std::min(first.size(), hello_.size());
  std::memcpy(hello_.data(), first.data(), n);
  auto self = shared_from_this();
  stall_.on_stall([self] { self->on_stall(); });
  deadline_.arm_at(deadline, [self] { self->end("said nothing recognisable in time"); });
  asio::async_read(stream_, asio::buffer(hello_.data() + n, hello_.size() - n),
                   [self](std::error_code e, std::size_t) {
                     if (self->closed_) return;
                     if (e) return self->end("left during the handshake");
                     self->on_hello();
                   });
}

void NativeSession::on_hello() {
  deadline_.disarm();
  proto::ClientHello hello;
  const proto::Error err = proto::decode(hello_, hello);
  if (err == proto::Error::kUnsupportedVersion) {
    hello_reply_ = proto::encode(
        proto::ServerHello{proto::kVersion, proto::HelloStatus::kVersionMismatch, monotonic_us()});
    return reply_and_end(hello_reply_, "speaks protocol version " + std::to_string(hello.version) +
                                           ", this camstreamd speaks version " +
                                           std::to_string(proto::kVersion) +
                                           "; it needs a camview of the same release");
  }
  if (err != proto::Error::kNone)
    return end(std::string("bad hello: ") + std::string(proto::describe(err)));
  // An older viewer (version 2) is answered in its own version and never offered the
  // version-3 messages, which it would not send.
  version_ = hello.version;
  // Protocol version 1 has no "busy" answer: a client over the limit sees the connection close.
  if (!host_.admit(*this)) {
    return end("already " + std::to_string(host_.limits().max_clients) +
               " clients, the limit (--max-clients)");
  }

  auto self = shared_from_this();
  if (host_.access().open()) {
    role_ = Role::kControl;
    hello_reply_ =
        proto::encode(proto::ServerHello{version_, proto::HelloStatus::kOk, monotonic_us()});
    start_streaming();
    write(asio::buffer(hello_reply_), [self] { self->write_next(); });
    return;
  }
  // The client proves it holds a token by a MAC over this nonce, never sending the token.
  if (!crypto::random_bytes(nonce_)) return end("no randomness for the handshake's nonce");
  hello_reply_ = proto::encode(
      proto::ServerHello{version_, proto::HelloStatus::kAuthRequired, monotonic_us()});
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(hello_reply_), asio::buffer(nonce_)};
  write(buffers, [self] {
    self->deadline_.arm(self->host_.limits().handshake_timeout,
                        [self] { self->end("sent no token in time"); });
    asio::async_read(self->stream_, asio::buffer(self->auth_in_),
                     [self](std::error_code e, std::size_t) {
                       if (self->closed_) return;
                       if (e) return self->end("left before proving a token");
                       self->on_auth();
                     });
  });
}

void NativeSession::on_auth() {
  deadline_.disarm();
  proto::MessageHeader header;
  proto::Auth auth;
  const std::span<const std::uint8_t> in(auth_in_);
  proto::Error err =
      proto::decode(in.first(proto::kMessageHeaderSize), header, proto::kMaxControlPayload);
  if (err == proto::Error::kNone && header.type != proto::MessageType::kAuth)
    err = proto::Error::kUnexpectedType;
  if (err == proto::Error::kNone)
    err = proto::decode_auth_payload(in.subspan(proto::kMessageHeaderSize), auth);
  if (err != proto::Error::kNone)
    return end("protocol error in the token check: " + std::string(proto::describe(err)));
  const Role role = host_.access().native(nonce_, auth);
  auto self = shared_from_this();
  if (role == Role::kNone) {
    host_.auth_failed(peer_);
    auth_out_ = proto::encode(proto::AuthResult{proto::AuthOutcome::kRefused, Role::kNone});
    return reply_and_end(auth_out_, "its token matches none");
  }
  role_ = role;
  auth_out_ = proto::encode(proto::AuthResult{proto::AuthOutcome::kAccepted, role});
  start_streaming();
  write(asio::buffer(auth_out_), [self] { self->write_next(); });
}

void NativeSession::start_streaming() {
  streaming_ = true;
  watch_ = host_.watch();
  // A new client gets the current picture at once.
  slot_.begin(monotonic_us(), host_.latest_frame());
  host_.log_client(log::Level::kInfo, peer_, "client " + peer_.name + " connected");
  read_header();
}

void NativeSession::read_header() {
  auto self = shared_from_this();
  asio::async_read(stream_, asio::buffer(header_in_), [self](std::error_code e, std::size_t) {
    if (self->closed_) return;
    if (e) return self->end(e == asio::error::eof ? "disconnected" : e.message());
    const proto::Error err =
        proto::decode(self->header_in_, self->current_, proto::kMaxViewerPayload);
    if (err != proto::Error::kNone)
      return self->end("protocol error: " + std::string(proto::describe(err)));
    const proto::MessageType type = self->current_.type;
    const bool control = type == proto::MessageType::kListControls ||
                         type == proto::MessageType::kSetControls ||
                         type == proto::MessageType::kRequestStill;
    if (type != proto::MessageType::kPing && !(control && self->version_ >= 3)) {
      return self->end("protocol error: " +
                       std::string(proto::describe(proto::Error::kUnexpectedType)));
    }
    // The length passed kMaxViewerPayload (and the type's own bound) before this allocation.
    self->payload_in_.resize(self->current_.length);
    if (self->current_.length == 0) return self->on_message();
    self->read_payload();
  });
}

void NativeSession::read_next() {
  // A client that sends requests faster than it reads the answers waits for them to go.
  if (messages_.size() >= kMaxQueuedMessages) {
    read_paused_ = true;
    return;
  }
  read_header();
}

void NativeSession::read_payload() {
  auto self = shared_from_this();
  asio::async_read(stream_, asio::buffer(payload_in_), [self](std::error_code e, std::size_t) {
    if (self->closed_) return;
    if (e) return self->end("disconnected mid-message");
    self->on_message();
  });
}

void NativeSession::on_message() {
  switch (current_.type) {
    case proto::MessageType::kListControls:
      list_controls();
      break;
    case proto::MessageType::kSetControls:
      set_controls();
      break;
    case proto::MessageType::kRequestStill:
      request_still();
      break;
    default: {
      proto::Ping ping;
      const proto::Error err = proto::decode_ping_payload(payload_in_, ping);
      if (err != proto::Error::kNone)
        return end("protocol error: " + std::string(proto::describe(err)));
      // A client that pings faster than it reads gets no more answers, not more memory.
      if (pongs_.size() < kMaxQueuedPongs) {
        pongs_.push_back(proto::encode(proto::Pong{ping.client_time_us, monotonic_us()}));
        write_next();
      }
      break;
    }
  }
  if (closed_) return;
  read_next();
}

void NativeSession::list_controls() {
  Controls* model = host_.controls();
  if (model == nullptr) {
    return queue_message(proto::MessageType::kControlsList,
                         nlohmann::json{{"controls", nlohmann::json::array()}});
  }
  // From now on this client hears of every change, whoever made it, until it leaves.
  if (listener_ == 0) {
    std::weak_ptr<NativeSession> weak = weak_from_this();
    listener_ = model->subscribe([weak](const nlohmann::json& changed) {
      if (const auto self = weak.lock())
        self->queue_message(proto::MessageType::kControlsChanged, changed);
    });
  }
  queue_message(proto::MessageType::kControlsList, model->list());
}

void NativeSession::set_controls() {
  proto::SetControls set;
  const proto::Error err = proto::decode_set_controls_payload(payload_in_, set);
  if (err != proto::Error::kNone)
    return end("protocol error in a SetControls: " + std::string(proto::describe(err)));
  Controls* model = host_.controls();
  ControlOutcome outcome;
  if (model == nullptr) {
    outcome.refused["(request)"] = "this daemon has no controls";
  } else {
    nlohmann::json values;
    try {
      values = nlohmann::json::parse(set.json);
    } catch (const nlohmann::json::exception& e) {
      outcome.refused["(request)"] = std::string("the payload is not JSON (") + e.what() +
                                     "); send an object such as {\"quality\": 70}";
    }
    // The model refuses, control by control, what this client's role may not change.
    if (outcome.refused.empty()) outcome = model->apply(values, role_, set.persist);
  }
  const nlohmann::json answer = outcome.to_json();
  if (!outcome.refused.empty() || !outcome.save_error.empty()) {
    host_.log_client(log::Level::kInfo, peer_,
                     "client " + peer_.name + ": controls refused: " + json_text(answer));
  }
  queue_message(proto::MessageType::kControlsResult, answer);
}

void NativeSession::request_still() {
  if (still_request_ != 0 || still_) {
    return queue_text(proto::MessageType::kStillError,
                      "a still is already on its way; wait for it before asking for another");
  }
  std::weak_ptr<NativeSession> weak = weak_from_this();
  std::string error;
  still_request_ = host_.request_still(
      [weak](const EncodedFramePtr& still) {
        if (const auto self = weak.lock()) self->on_still(still);
      },
      error);
  if (still_request_ == 0) return queue_text(proto::MessageType::kStillError, error);
  still_timer_.expires_after(kStillTimeout);
  still_timer_.async_wait([weak](std::error_code e) {
    const auto self = weak.lock();
    if (e || !self || self->closed_ || self->still_request_ == 0) return;
    self->host_.cancel_frame_request(self->still_request_);
    self->still_request_ = 0;
    self->queue_text(proto::MessageType::kStillError,
                     "the camera gave no full-size still in time; try again");
  });
}

void NativeSession::on_still(const EncodedFramePtr& still) {
  if (closed_ || still_request_ == 0) return;
  still_request_ = 0;
  still_timer_.cancel();
  if (!still) {
    return queue_text(proto::MessageType::kStillError,
                      "the daemon is stopping, so no still comes; ask again once it is back");
  }
  if (still->header.jpeg_size > proto::kMaxJpegBytes) {
    return queue_text(proto::MessageType::kStillError,
                      "the still's JPEG is over the protocol's bound of 16 MiB; lower the "
                      "quality and ask again");
  }
  still_ = still;
  write_next();
}

void NativeSession::queue_message(proto::MessageType type, const nlohmann::json& body) {
  if (closed_) return;
  // Changes not yet written merge into one notification: the newest value of each wins.
  if (type == proto::MessageType::kControlsChanged && !messages_.empty() &&
      messages_.back().type == type) {
    Outgoing& last = messages_.back();
    last.changed.update(body);
    last.bytes = proto::encode_text_message(type, json_text(last.changed));
    return;
  }
  std::string text = json_text(body);
  if (text.size() > proto::kMaxJsonBytes) {
    log::warn("an answer to native client " + peer_.name + " was " + std::to_string(text.size()) +
              " bytes of JSON, over the protocol's bound of " +
              std::to_string(proto::kMaxJsonBytes) + "; it was sent as an error instead");
    text = nlohmann::json{{"error", "the answer was over the protocol's bound of " +
                                        std::to_string(proto::kMaxJsonBytes) + " bytes"}}
               .dump();
  }
  messages_.push_back(
      Outgoing{type, proto::encode_text_message(type, text),
               type == proto::MessageType::kControlsChanged ? body : nlohmann::json()});
  write_next();
}

void NativeSession::queue_text(proto::MessageType type, std::string_view text) {
  if (closed_) return;
  const std::string_view bounded = text.substr(0, proto::text_bound(type));
  messages_.push_back(Outgoing{type, proto::encode_text_message(type, bounded), {}});
  write_next();
}

void NativeSession::deliver(const EncodedFramePtr& frame) {
  if (closed_ || !streaming_) return;
  const FrameSlot::Offer offered = slot_.offer(frame);
  if (offered == FrameSlot::Offer::kIgnored) return;
  if (offered == FrameSlot::Offer::kReplaced) host_.frame_skipped();
  write_next();
}

void NativeSession::write_next() {
  if (writing_ || closed_) return;
  auto self = shared_from_this();
  if (!pongs_.empty()) {
    pong_out_ = pongs_.front();
    pongs_.pop_front();
    return write(asio::buffer(pong_out_), [self] { self->write_next(); });
  }
  if (!messages_.empty()) {
    message_out_ = std::move(messages_.front().bytes);
    messages_.pop_front();
    return write(asio::buffer(message_out_), [self] {
      if (self->read_paused_ && self->messages_.size() < kMaxQueuedMessages) {
        self->read_paused_ = false;
        self->read_header();
      }
      self->write_next();
    });
  }
  if (still_) {
    const EncodedFrame& f = *still_;
    still_prefix_ = proto::encode_still_prefix(f.header);
    send_buffer_.fit(stream_.socket(), still_prefix_.size() + f.jpeg().size());
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(still_prefix_),
                                                    asio::buffer(f.jpeg().data(), f.jpeg().size())};
    return write(buffers, [self] {
      self->still_.reset();
      self->write_next();
    });
  }
  writing_frame_ = slot_.take(monotonic_us());
  if (!writing_frame_) return;
  const EncodedFrame& f = *writing_frame_;
  send_buffer_.fit(stream_.socket(), f.prefix.size() + f.jpeg().size());
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(f.prefix),
                                                  asio::buffer(f.jpeg().data(), f.jpeg().size())};
  write(buffers, [self] {
    self->writing_frame_.reset();
    self->host_.frame_sent(self->slot_.written(monotonic_us()));
    self->write_next();
  });
}

template <typename Buffers>
void NativeSession::write(const Buffers& buffers, std::function<void()> then) {
  writing_ = true;
  auto self = shared_from_this();
  // A client that stops reading (or pings but never reads) stalls here.
  stall_.write(stream_, buffers, [self, then = std::move(then)](std::error_code e, std::size_t) {
    if (self->closed_) return;
    self->writing_ = false;
    if (e) {
      return self->end(e == asio::error::broken_pipe || e == asio::error::connection_reset
                           ? "disconnected"
                           : "write failed: " + e.message());
    }
    then();
  });
}

void NativeSession::reply_and_end(std::span<const std::uint8_t> bytes, const std::string& reason) {
  auto self = shared_from_this();
  write(asio::buffer(bytes.data(), bytes.size()), [self, reason] { self->end(reason); });
}

void NativeSession::on_stall() {
  if (closed_) return;
  host_.client_stalled();
  abort_on_close(stream_.socket());
  end("stalled: no byte taken for " + std::to_string(host_.limits().write_timeout.count()) + " ms");
}

void NativeSession::close(const std::string&) {
  if (closed_) return;
  closed_ = true;
  watch_.reset();
  deadline_.disarm();
  stall_.cancel();
  asio::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
  slot_.clear();
  writing_frame_.reset();
  // No listener may outlive the session, nor a still request call into it.
  if (listener_ != 0 && host_.controls() != nullptr) host_.controls()->unsubscribe(listener_);
  listener_ = 0;
  if (still_request_ != 0) host_.cancel_frame_request(still_request_);
  still_request_ = 0;
  still_timer_.cancel();
  still_.reset();
  messages_.clear();
}

void NativeSession::end(const std::string& reason) {
  if (closed_) return;
  close(reason);
  if (streaming_) {
    host_.log_client(log::Level::kInfo, peer_,
                     "client " + peer_.name + " left (" + reason +
                         "): " + std::to_string(slot_.sent()) + " frames sent, " +
                         std::to_string(slot_.skipped()) + " skipped");
  } else {
    host_.log_client(log::Level::kInfo, peer_, "client " + peer_.name + " refused: " + reason);
  }
  // A client that never got to stream spoke no protocol this server accepts.
  host_.ended(*this, !streaming_);
}

std::optional<ClientFigures> NativeSession::client_figures(std::uint64_t now_us) const {
  if (!streaming_ || closed_) return std::nullopt;
  return slot_.figures(peer_.name, stream_.encrypted() ? "native+tls" : "native", connected_us_,
                       now_us);
}

}  // namespace camstream
