// connection.hpp - a new client until its first bytes tell which dialect it speaks.
#pragma once

#include <array>
#include <memory>
#include <string>

#include <asio.hpp>

#include "device/serve/deadline.hpp"
#include "device/serve/session.hpp"
#include "shared/byte_stream.hpp"

namespace camstream {

// Reads the first four bytes within the handshake timeout and hands the connection, those
// bytes and what is left of the time to a NativeSession (the protocol's magic) or an
// HttpSession (an HTTP method); anything else is refused. When the server has TLS, a first
// byte of 0x16 (a TLS handshake record; neither dialect starts so) makes it a TLS connection:
// the TLS handshake comes first, within the same time, and the four bytes are read through it.
// Apart from TLS's own handshake it never writes: a client that speaks nonsense only sees the
// connection close.
class Connection final : public Session, public std::enable_shared_from_this<Connection> {
 public:
  static constexpr std::size_t kSniffBytes = 4;
  static constexpr std::uint8_t kTlsHandshakeRecord = 0x16;

  Connection(asio::ip::tcp::socket socket, SessionHost& host, Peer peer);
  void start();

  void deliver(const EncodedFramePtr&) override {}
  void close(const std::string& reason) override;
  std::optional<ClientFigures> client_figures(std::uint64_t) const override { return {}; }
  const Peer& peer() const override { return peer_; }

 private:
  void read_first_bytes();
  void on_sniffed();
  // Closes the socket and tells the host, which forgets this connection.
  void refuse(const std::string& reason, bool refused);

  ByteStream stream_;
  SessionHost& host_;
  Deadline deadline_;
  Peer peer_;
  std::array<char, kSniffBytes> first_{};
  bool closed_ = false;
};

}  // namespace camstream
