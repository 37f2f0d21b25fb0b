// connection.cpp - a client's life: sniff, handshake, stream frames, answer pings, close.
#include "device/serve/connection.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "device/serve/hub.hpp"
#include "device/serve/server.hpp"
#include "shared/clock.hpp"
#include "shared/log.hpp"

namespace camstream {
namespace {

constexpr std::size_t kSniffBytes = 4;

bool looks_like_http(std::span<const std::uint8_t> b) {
  static constexpr const char* kMethods[] = {"GET ", "HEAD", "POST", "PUT ", "OPTI",
                                             "DELE", "PATC", "CONN", "TRAC"};
  return std::any_of(std::begin(kMethods), std::end(kMethods),
                     [&](const char* m) { return std::memcmp(b.data(), m, kSniffBytes) == 0; });
}

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, Server& server)
    : socket_(std::move(socket)), deadline_(socket_.get_executor()), server_(server) {
  asio::error_code ec;
  const auto ep = socket_.remote_endpoint(ec);
  peer_ =
      ec ? std::string("unknown peer") : to_string(HostPort{ep.address().to_string(), ep.port()});
}

void Connection::start(EncodedFramePtr latest) {
  asio::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.set_option(asio::socket_base::keep_alive(true), ec);
  pending_ = std::move(latest);  // a new client gets the current picture at once
  connected_us_ = monotonic_us();
  rate_ = RateMeter(connected_us_, 0);

  auto self = shared_from_this();
  deadline_.expires_after(server_.limits_.handshake_timeout);
  wait_deadline();
  asio::async_read(socket_, asio::buffer(hello_.data(), kSniffBytes),
                   [self](std::error_code e, std::size_t) {
                     if (e) return self->close("left before the handshake");
                     self->on_sniffed();
                   });
}

void Connection::wait_deadline() {
  auto self = shared_from_this();
  deadline_.async_wait([self](std::error_code e) {
    if (e || self->closed_) return;
    // Re-armed after this wait completed: not expired after all.
    if (self->deadline_.expiry() > asio::steady_timer::clock_type::now()) return;
    self->close(self->streaming_
                    ? "stalled: a frame took longer than " +
                          std::to_string(self->server_.limits_.write_timeout.count() / 1000) +
                          " s to send"
                    : "said nothing recognisable in time");
  });
}

void Connection::on_sniffed() {
  const std::span<const std::uint8_t> first(hello_.data(), kSniffBytes);
  if (std::equal(proto::kMagic.begin(), proto::kMagic.end(), first.begin())) {
    auto self = shared_from_this();
    asio::async_read(socket_,
                     asio::buffer(hello_.data() + kSniffBytes, hello_.size() - kSniffBytes),
                     [self](std::error_code e, std::size_t) {
                       if (e) return self->close("left during the handshake");
                       self->on_hello();
                     });
    return;
  }
  if (looks_like_http(first)) {
    // The HTTP session takes the socket over, with what is left of the time to speak.
    const auto deadline = deadline_.expiry();
    deadline_.cancel();
    pending_.reset();
    http_ = std::make_unique<HttpSession>(
        socket_, static_cast<HttpSessionOwner&>(*this),
        HttpTimeouts{server_.limits_.handshake_timeout, server_.limits_.write_timeout}, peer_);
    http_->start(std::string_view(reinterpret_cast<const char*>(hello_.data()), kSniffBytes),
                 deadline);
    return;
  }
  close("spoke neither the camstream protocol nor HTTP");
}

void Connection::on_hello() {
  proto::ClientHello hello;
  const proto::Error err = proto::decode(hello_, hello);
  if (err == proto::Error::kUnsupportedVersion) {
    hello_reply_ = proto::encode(
        proto::ServerHello{proto::kVersion, proto::HelloStatus::kVersionMismatch, monotonic_us()});
    reply_and_close(hello_reply_, "speaks protocol version " + std::to_string(hello.version) +
                                      ", this camstreamd speaks version " +
                                      std::to_string(proto::kVersion) +
                                      "; use camview and camstreamd of the same release");
    return;
  }
  if (err != proto::Error::kNone)
    return close(std::string("bad hello: ") + std::string(proto::describe(err)));

  hello_reply_ =
      proto::encode(proto::ServerHello{proto::kVersion, proto::HelloStatus::kOk, monotonic_us()});
  deadline_.cancel();
  streaming_ = true;
  watch_ = Demand::Watch(server_.hub_.demand());
  writing_ = true;
  log::info("client " + peer_ + " connected");
  auto self = shared_from_this();
  deadline_.expires_after(server_.limits_.write_timeout);
  wait_deadline();
  asio::async_write(socket_, asio::buffer(hello_reply_), [self](std::error_code e, std::size_t) {
    self->writing_ = false;
    self->deadline_.cancel();
    if (e) return self->close("write failed: " + e.message());
    self->write_next();
  });
  read_header();
}

void Connection::read_header() {
  auto self = shared_from_this();
  asio::async_read(socket_, asio::buffer(header_in_), [self](std::error_code e, std::size_t) {
    if (e) return self->close(e == asio::error::eof ? "disconnected" : e.message());
    const proto::Error err =
        proto::decode(self->header_in_, self->current_, proto::kMaxControlPayload);
    if (err != proto::Error::kNone) {
      return self->close("protocol error: " + std::string(proto::describe(err)));
    }
    if (self->current_.type != proto::MessageType::kPing) {
      return self->close("protocol error: " +
                         std::string(proto::describe(proto::Error::kUnexpectedType)));
    }
    self->read_payload();
  });
}

void Connection::read_payload() {
  auto self = shared_from_this();
  // current_.length was checked against kMaxControlPayload, the size of payload_in_.
  asio::async_read(socket_, asio::buffer(payload_in_.data(), current_.length),
                   [self](std::error_code e, std::size_t) {
                     if (e) return self->close("disconnected mid-message");
                     self->on_message();
                   });
}

void Connection::on_message() {
  proto::Ping ping;
  const proto::Error err =
      proto::decode_ping_payload(std::span(payload_in_.data(), current_.length), ping);
  if (err != proto::Error::kNone) {
    return close("protocol error: " + std::string(proto::describe(err)));
  }
  // A client that pings faster than it reads gets no more answers, not more memory.
  if (pongs_.size() < kMaxQueuedPongs) {
    pongs_.push_back(proto::encode(proto::Pong{ping.client_time_us, monotonic_us()}));
    write_next();
  }
  read_header();
}

void Connection::deliver(const EncodedFramePtr& frame) {
  if (closed_ || !frame) return;
  if (http_) return http_->deliver(frame);
  if (sent_any_ && frame->header.seq <= last_seq_sent_) return;
  if (pending_ && frame->header.seq <= pending_->header.seq) return;
  // Before the handshake the slot only keeps the newest picture for the first write; the
  // client has not missed anything yet.
  if (pending_ && streaming_) {
    ++frames_skipped_;
    ++server_.stats_.frames_skipped;
  }
  pending_ = frame;
  if (streaming_) write_next();
}

void Connection::write_next() {
  if (writing_ || closed_) return;
  auto self = shared_from_this();
  if (!pongs_.empty()) {
    pong_out_ = pongs_.front();
    pongs_.pop_front();
    writing_ = true;
    // A client that pings but never reads stalls here as surely as on a frame.
    deadline_.expires_after(server_.limits_.write_timeout);
    wait_deadline();
    asio::async_write(socket_, asio::buffer(pong_out_), [self](std::error_code e, std::size_t) {
      self->writing_ = false;
      self->deadline_.cancel();
      if (e) return self->close("write failed: " + e.message());
      self->write_next();
    });
    return;
  }
  if (!pending_) return;
  in_flight_ = std::move(pending_);
  pending_.reset();
  writing_ = true;
  const std::array<asio::const_buffer, 2> buffers{
      asio::buffer(in_flight_->prefix),
      asio::buffer(in_flight_->jpeg().data(), in_flight_->jpeg().size())};
  deadline_.expires_after(server_.limits_.write_timeout);
  wait_deadline();
  write_started_us_ = monotonic_us();
  asio::async_write(socket_, buffers, [self](std::error_code e, std::size_t) {
    self->writing_ = false;
    self->deadline_.cancel();
    self->server_.send_times_.record(monotonic_us() - self->write_started_us_);
    if (e)
      return self->close(e == asio::error::broken_pipe || e == asio::error::connection_reset
                             ? "disconnected"
                             : "write failed: " + e.message());
    self->last_seq_sent_ = self->in_flight_->header.seq;
    self->sent_any_ = true;
    self->in_flight_.reset();
    ++self->frames_sent_;
    ++self->server_.stats_.frames_sent;
    self->rate_.update(monotonic_us(), self->frames_sent_);
    self->write_next();
  });
}

void Connection::reply_and_close(std::span<const std::uint8_t> bytes, const std::string& reason) {
  auto self = shared_from_this();
  writing_ = true;
  asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()),
                    [self, reason](std::error_code, std::size_t) { self->close(reason); });
}

void Connection::close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  watch_.reset();
  asio::error_code ec;
  deadline_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  pending_.reset();
  if (http_) {
    http_->stop();
    if (http_->streamed()) {
      log::info("HTTP client " + peer_ + " left (" + reason +
                "): " + std::to_string(http_->frames_sent()) + " frames sent, " +
                std::to_string(http_->frames_skipped()) + " skipped");
    } else if (http_refused_) {
      ++server_.stats_.rejected;
      log::info("HTTP client " + peer_ + " refused: " + reason);
    } else {
      log::debug("HTTP client " + peer_ + " closed: " + reason);
    }
  } else if (streaming_) {
    log::info("client " + peer_ + " left (" + reason + "): " + std::to_string(frames_sent_) +
              " frames sent, " + std::to_string(frames_skipped_) + " skipped");
  } else {
    ++server_.stats_.rejected;
    log::info("client " + peer_ + " refused: " + reason);
  }
  server_.remove(shared_from_this());
}

std::optional<ClientFigures> Connection::client_figures(std::uint64_t now_us) const {
  ClientFigures c;
  c.peer = peer_;
  c.connected_s = static_cast<double>(now_us - connected_us_) / 1e6;
  if (http_ && http_->streaming()) {
    c.kind = "http";
    c.sent = http_->frames_sent();
    c.skipped = http_->frames_skipped();
    c.fps = http_->fps(now_us);
  } else if (!http_ && streaming_) {
    c.kind = "native";
    c.sent = frames_sent_;
    c.skipped = frames_skipped_;
    c.fps = rate_.rate(now_us, frames_sent_);
  } else {
    return std::nullopt;
  }
  return c;
}

std::shared_ptr<void> Connection::keep_alive() {
  return shared_from_this();
}

EncodedFramePtr Connection::latest_frame() {
  return server_.hub_.latest_fresh();
}

Demand::Watch Connection::watch() {
  return Demand::Watch(server_.hub_.demand());
}

bool Connection::frames_flowing() {
  return server_.hub_.demand().watchers() > 0;
}

std::uint64_t Connection::request_frame(std::function<void(const EncodedFramePtr&)> done) {
  // The hub answers on an encoder thread: hand the frame over to this loop.
  auto executor = socket_.get_executor();
  return server_.hub_.request_next(
      [executor, done = std::move(done)](const EncodedFramePtr& frame) {
        asio::post(executor, [done, frame] { done(frame); });
      });
}

void Connection::cancel_frame_request(std::uint64_t id) {
  server_.hub_.cancel_next(id);
}

StatusFigures Connection::figures() {
  const std::uint64_t now = monotonic_us();
  ServerFiguresState& state = server_.figures_;
  StatusFigures f;
  f.uptime_s = static_cast<double>(now - state.started_us) / 1e6;
  if (state.provider) {
    f.have_pipeline = true;
    f.pipeline = state.provider->pipeline();
    state.captured.update(now, f.pipeline.captured);
    f.captured_fps = state.captured.rate(now, f.pipeline.captured);
  }
  const ServerStats s = server_.stats();
  state.sent.update(now, s.frames_sent);
  f.sent_fps = state.sent.rate(now, s.frames_sent);
  f.frames_sent = s.frames_sent;
  f.frames_skipped = s.frames_skipped;
  f.connections = s.clients;
  f.accepted = s.accepted;
  f.refused = s.rejected;
  for (const auto& c : server_.connections_) {
    if (auto figures = c->client_figures(now)) f.clients.push_back(std::move(*figures));
  }
  return f;
}

void Connection::count_frame(bool skipped) {
  if (skipped) {
    ++server_.stats_.frames_skipped;
  } else {
    ++server_.stats_.frames_sent;
  }
}

void Connection::session_ended(const std::string& reason, bool refused) {
  http_refused_ = refused;
  close(reason);
}

}  // namespace camstream
