// byte_stream.hpp - one TCP connection, in the clear or inside TLS, as one Asio stream type.
#pragma once

#include <memory>
#include <utility>
#include <variant>

#include <asio.hpp>
#include <asio/ssl.hpp>

namespace camstream {

// The sessions and connections read and write through this, so one code path serves plain
// and TLS connections alike (asio::async_read and async_write take it as any stream). TLS
// costs one copy of every byte into OpenSSL's records: scatter-gather writes still go out as
// one call, but no longer straight from the shared frame.
class ByteStream {
 public:
  using executor_type = asio::any_io_executor;
  using Tls = asio::ssl::stream<asio::ip::tcp::socket>;

  explicit ByteStream(asio::ip::tcp::socket socket) : stream_(std::move(socket)) {}
  // A socket not yet open, to connect through socket().
  explicit ByteStream(asio::io_context& io)
      : stream_(std::in_place_type<asio::ip::tcp::socket>, io) {}
  // TLS over `socket`; the handshake is the owner's to do, through tls().
  ByteStream(asio::ip::tcp::socket socket, asio::ssl::context& context)
      : stream_(std::in_place_type<Tls>, std::move(socket), context) {}

  // Turns a connection in the clear into TLS over the same socket, before anything was read
  // through it; the handshake is the owner's to do, through tls().
  void start_tls(asio::ssl::context& context) {
    asio::ip::tcp::socket socket = std::move(std::get<asio::ip::tcp::socket>(stream_));
    stream_.emplace<Tls>(std::move(socket), context);
  }

  executor_type get_executor() {
    return std::visit([](auto& s) -> executor_type { return s.get_executor(); }, stream_);
  }

  template <typename Buffers, typename Handler>
  auto async_read_some(const Buffers& buffers, Handler&& handler) {
    if (auto* tls = std::get_if<Tls>(&stream_))
      return tls->async_read_some(buffers, std::forward<Handler>(handler));
    return std::get<asio::ip::tcp::socket>(stream_).async_read_some(buffers,
                                                                    std::forward<Handler>(handler));
  }

  template <typename Buffers, typename Handler>
  auto async_write_some(const Buffers& buffers, Handler&& handler) {
    if (auto* tls = std::get_if<Tls>(&stream_))
      return tls->async_write_some(buffers, std::forward<Handler>(handler));
    return std::get<asio::ip::tcp::socket>(stream_).async_write_some(
        buffers, std::forward<Handler>(handler));
  }

  // The TCP socket underneath: options, shutdown, close, addresses.
  asio::ip::tcp::socket& socket() {
    if (auto* tls = std::get_if<Tls>(&stream_)) return tls->next_layer();
    return std::get<asio::ip::tcp::socket>(stream_);
  }
  const asio::ip::tcp::socket& socket() const {
    if (const auto* tls = std::get_if<Tls>(&stream_)) return tls->next_layer();
    return std::get<asio::ip::tcp::socket>(stream_);
  }
  // The TLS layer, or null for a connection in the clear.
  Tls* tls() { return std::get_if<Tls>(&stream_); }
  bool encrypted() const { return std::holds_alternative<Tls>(stream_); }

 private:
  std::variant<asio::ip::tcp::socket, Tls> stream_;
};

}  // namespace camstream
