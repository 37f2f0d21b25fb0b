// server.cpp - listening, accepting and fanning frames out to the connections.
#include "device/serve/server.hpp"

#include <string>

#include "device/serve/connection.hpp"
#include "device/serve/hub.hpp"
#include "shared/log.hpp"

namespace camstream {

Server::Server(asio::io_context& io, Hub& hub, ServerLimits limits)
    : io_(io), hub_(hub), limits_(limits), acceptor_(io) {}

Server::~Server() {
  stop();
}

bool Server::listen(const HostPort& where, std::string& error) {
  asio::error_code ec;
  const auto address = asio::ip::make_address(where.host, ec);
  if (ec) {
    error = "cannot listen on '" + where.host +
            "': not an IP address; give a local address such as 0.0.0.0 or 127.0.0.1";
    return false;
  }
  const asio::ip::tcp::endpoint endpoint(address, where.port);
  const std::string what = "cannot listen on " + to_string(where) + ": ";
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) return true;
  if (ec == asio::error::address_in_use) {
    error = what +
            "the port is already in use (is another camstreamd running?); choose another "
            "with --listen PORT, or --listen 0 for any free port";
  } else if (ec == asio::error::access_denied) {
    error = what + "permission denied; ports below 1024 need root, choose one above 1023";
  } else if (ec == std::errc::address_not_available) {
    error = what + "no such address on this machine; use 0.0.0.0 or one of its addresses";
  } else {
    error = what + ec.message();
  }
  acceptor_.close(ec);
  return false;
}

HostPort Server::local_address() const {
  asio::error_code ec;
  const auto ep = acceptor_.local_endpoint(ec);
  if (ec) return {};
  return HostPort{ep.address().to_string(), ep.port()};
}

void Server::start() {
  accept();
}

void Server::stop() {
  if (stopped_) return;
  stopped_ = true;
  asio::error_code ec;
  acceptor_.close(ec);
  // close() removes each connection from the set, so walk a copy.
  const auto connections = connections_;
  for (const auto& c : connections)
    c->close("server stopping");
  connections_.clear();
}

void Server::accept() {
  acceptor_.async_accept([this](std::error_code ec, asio::ip::tcp::socket socket) {
    if (stopped_ || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of file descriptors and the like: say so, keep serving those we have.
      log::warn(std::string("accept failed: ") + ec.message());
    } else if (connections_.size() >= static_cast<std::size_t>(limits_.max_clients)) {
      ++stats_.rejected;
      log::warn("refusing a client: already " + std::to_string(connections_.size()) +
                " clients, the limit");
      asio::error_code ignored;
      socket.close(ignored);
    } else {
      ++stats_.accepted;
      auto c = std::make_shared<Connection>(std::move(socket), *this);
      connections_.insert(c);
      c->start(hub_.latest_fresh());
    }
    accept();
  });
}

void Server::remove(const std::shared_ptr<Connection>& c) {
  connections_.erase(c);
}

void Server::deliver(const EncodedFramePtr& frame) {
  if (stopped_) return;
  for (const auto& c : connections_)
    c->deliver(frame);
}

ServerStats Server::stats() const {
  ServerStats s = stats_;
  s.clients = connections_.size();
  return s;
}

}  // namespace camstream
