// socket_options.cpp - setsockopt calls for client sockets; failures leave the defaults.
#include "device/serve/socket_options.hpp"

#include <algorithm>

namespace camstream {

void tune_client_socket(asio::ip::tcp::socket& socket) {
  asio::error_code ec;
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  socket.set_option(asio::socket_base::keep_alive(true), ec);
  SendBufferCap().fit(socket, 0);
}

void abort_on_close(asio::ip::tcp::socket& socket) {
  asio::error_code ec;
  socket.set_option(asio::socket_base::linger(true, 0), ec);
}

void SendBufferCap::fit(asio::ip::tcp::socket& socket, std::size_t bytes) {
  const std::size_t want = std::clamp(bytes, kMinBytes, kMaxBytes);
  if (bytes_ != 0 && want <= bytes_ && want >= bytes_ / 2) return;
  asio::error_code ec;
  socket.set_option(asio::socket_base::send_buffer_size(static_cast<int>(want)), ec);
  if (!ec) bytes_ = want;
}

}  // namespace camstream
