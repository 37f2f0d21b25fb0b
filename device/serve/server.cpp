// server.cpp - listening, accepting, keeping the sessions and fanning frames out to them.
#include "device/serve/server.hpp"

#include <string>

#include "device/serve/connection.hpp"
#include "device/serve/hub.hpp"
#include "shared/clock.hpp"
#include "shared/log.hpp"

namespace camstream {

Server::Server(asio::io_context& io, Hub& hub, ServerLimits limits)
    : io_(io),
      hub_(hub),
      limits_(limits),
      acceptor_(io),
      started_us_(monotonic_us()),
      captured_rate_(started_us_, 0),
      sent_rate_(started_us_, 0) {}

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
  // A session closed from outside does not call ended(), so the map stays as it is here.
  for (const auto& [key, session] : sessions_)
    session->close("server stopping");
  sessions_.clear();
}

void Server::accept() {
  acceptor_.async_accept([this](std::error_code ec, asio::ip::tcp::socket socket) {
    if (stopped_ || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of file descriptors and the like: say so, keep serving those we have.
      log::warn(std::string("accept failed: ") + ec.message());
    } else if (sessions_.size() >= static_cast<std::size_t>(limits_.max_clients)) {
      ++stats_.rejected;
      log::warn("refusing a client: already " + std::to_string(sessions_.size()) +
                " clients, the limit");
      asio::error_code ignored;
      socket.close(ignored);
    } else {
      ++stats_.accepted;
      auto c = std::make_shared<Connection>(std::move(socket), static_cast<SessionHost&>(*this));
      sessions_.emplace(c.get(), c);
      c->start();
    }
    accept();
  });
}

void Server::deliver(const EncodedFramePtr& frame) {
  if (stopped_) return;
  delivering_ = true;
  for (const auto& [key, session] : sessions_)
    session->deliver(frame);
  delivering_ = false;
  for (const Session* s : ended_)
    sessions_.erase(s);
  ended_.clear();
}

ServerStats Server::stats() const {
  ServerStats s = stats_;
  s.clients = sessions_.size();
  return s;
}

Figures Server::figures() {
  Figures f;
  const std::uint64_t now = monotonic_us();
  f.taken_us = now;
  f.uptime_s = static_cast<double>(now - started_us_) / 1e6;
  if (pipeline_ != nullptr) {
    f.have_pipeline = true;
    f.pipeline = pipeline_->pipeline_figures();
    captured_rate_.update(now, f.pipeline.captured);
    f.captured_fps = captured_rate_.rate(now, f.pipeline.captured);
  }
  ServerFigures& s = f.server;
  s.accepted = stats_.accepted;
  s.refused = stats_.rejected;
  s.frames_sent = stats_.frames_sent;
  s.frames_skipped = stats_.frames_skipped;
  s.auth_failures = stats_.auth_failures;
  s.connections = sessions_.size();
  for (const auto& [key, session] : sessions_) {
    if (auto client = session->client_figures(now)) s.clients.push_back(std::move(*client));
  }
  s.send = send_times_.snapshot();
  sent_rate_.update(now, s.frames_sent);
  f.sent_fps = sent_rate_.rate(now, s.frames_sent);
  return f;
}

EncodedFramePtr Server::latest_frame() {
  return hub_.latest_fresh();
}

Demand::Watch Server::watch() {
  return Demand::Watch(hub_.demand());
}

bool Server::frames_flowing() {
  return hub_.demand().watchers() > 0;
}

std::uint64_t Server::request_frame(std::function<void(const EncodedFramePtr&)> done) {
  // The hub answers on an encoder thread: hand the frame over to this loop.
  return hub_.request_next([this, done = std::move(done)](const EncodedFramePtr& frame) {
    asio::post(io_, [done, frame] { done(frame); });
  });
}

void Server::cancel_frame_request(std::uint64_t id) {
  hub_.cancel_next(id);
}

void Server::auth_failed(const std::string& peer) {
  ++stats_.auth_failures;
  constexpr std::uint64_t kLogIntervalUs = 60'000'000;
  constexpr std::size_t kMaxRemembered = 1024;
  // The address without the port: a client retrying from new ports is still one client.
  const std::string address = peer.substr(0, peer.rfind(':'));
  const std::uint64_t now = monotonic_us();
  auto it = auth_logged_us_.find(address);
  if (it != auth_logged_us_.end() && now - it->second < kLogIntervalUs) return;
  if (it == auth_logged_us_.end() && auth_logged_us_.size() >= kMaxRemembered)
    auth_logged_us_.clear();  // an address storm forgets, rather than grows without bound
  auth_logged_us_[address] = now;
  log::warn("client " + peer + " presented credentials that match none (" +
            std::to_string(stats_.auth_failures) +
            " failed attempts so far; logged once a "
            "minute per address)");
}

void Server::frame_sent(std::uint64_t write_us) {
  ++stats_.frames_sent;
  send_times_.record(write_us);
}

void Server::frame_skipped() {
  ++stats_.frames_skipped;
}

void Server::hand_over(const Session& from, std::shared_ptr<Session> to) {
  if (stopped_) return;
  sessions_.erase(&from);
  const Session* key = to.get();
  sessions_.emplace(key, std::move(to));
}

void Server::ended(const Session& session, bool refused) {
  if (refused) ++stats_.rejected;
  if (stopped_) return;
  if (delivering_) {
    ended_.push_back(&session);
  } else {
    sessions_.erase(&session);
  }
}

}  // namespace camstream
