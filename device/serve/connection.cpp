// connection.cpp - the dialect sniff: the native magic, an HTTP method, or a refusal.
#include "device/serve/connection.hpp"

#include <algorithm>
#include <cstring>

#include "device/serve/http_session.hpp"
#include "device/serve/native_session.hpp"
#include "device/serve/socket_options.hpp"
#include "shared/log.hpp"
#include "shared/protocol.hpp"

namespace camstream {
namespace {

bool looks_like_http(const std::array<char, Connection::kSniffBytes>& b) {
  static constexpr const char* kMethods[] = {"GET ", "HEAD", "POST", "PUT ", "OPTI",
                                             "DELE", "PATC", "CONN", "TRAC"};
  return std::any_of(std::begin(kMethods), std::end(kMethods), [&](const char* m) {
    return std::memcmp(b.data(), m, Connection::kSniffBytes) == 0;
  });
}

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, SessionHost& host, Peer peer)
    : stream_(std::move(socket)),
      host_(host),
      deadline_(stream_.get_executor()),
      peer_(std::move(peer)) {}

void Connection::start() {
  tune_client_socket(stream_.socket());
  auto self = shared_from_this();
  deadline_.arm(host_.limits().handshake_timeout,
                [self] { self->refuse("said nothing recognisable in time", true); });
  asio::ssl::context* tls = host_.tls_context();
  if (!tls) return read_first_bytes();
  // Look at the first byte without taking it: the TLS layer, or a session, reads it again.
  stream_.socket().async_receive(
      asio::buffer(first_.data(), 1), asio::socket_base::message_peek,
      [self, tls](std::error_code e, std::size_t n) {
        if (self->closed_) return;
        if (e || n == 0) return self->refuse("left before the handshake", true);
        if (static_cast<std::uint8_t>(self->first_[0]) != kTlsHandshakeRecord)
          return self->read_first_bytes();
        self->stream_.start_tls(*tls);
        self->stream_.tls()->async_handshake(
            asio::ssl::stream_base::server, [self](std::error_code he) {
              if (self->closed_) return;
              if (he) return self->refuse("TLS handshake failed: " + he.message(), true);
              self->read_first_bytes();
            });
      });
}

void Connection::read_first_bytes() {
  auto self = shared_from_this();
  asio::async_read(stream_, asio::buffer(first_), [self](std::error_code e, std::size_t) {
    if (self->closed_) return;
    if (e) return self->refuse("left before the handshake", true);
    self->on_sniffed();
  });
}

void Connection::on_sniffed() {
  const bool native = std::equal(proto::kMagic.begin(), proto::kMagic.end(), first_.begin());
  if (!native && !looks_like_http(first_))
    return refuse("spoke neither the camstream protocol nor HTTP", true);
  // The session takes the socket over, with what is left of the time to speak.
  const auto deadline = deadline_.expiry();
  deadline_.disarm();
  closed_ = true;
  const std::string_view first(first_.data(), first_.size());
  if (native) {
    auto session = std::make_shared<NativeSession>(std::move(stream_), host_, peer_);
    host_.hand_over(*this, session);
    session->start(first, deadline);
  } else {
    auto session = std::make_shared<HttpSession>(std::move(stream_), host_, peer_);
    host_.hand_over(*this, session);
    session->start(first, deadline);
  }
}

void Connection::close(const std::string&) {
  if (closed_) return;
  closed_ = true;
  deadline_.disarm();
  asio::error_code ec;
  stream_.socket().close(ec);
}

void Connection::refuse(const std::string& reason, bool refused) {
  if (closed_) return;
  close(reason);
  host_.log_client(log::Level::kInfo, peer_, "client " + peer_.name + " refused: " + reason);
  host_.ended(*this, refused);
}

}  // namespace camstream
