// server.cpp - listening, accepting, keeping the sessions and fanning frames out to them.
#include "device/serve/server.hpp"

#include <algorithm>
#include <cerrno>
#include <string>

#include "device/control/controls.hpp"
#include "device/serve/connection.hpp"
#include "device/serve/hub.hpp"
#include "device/serve/socket_options.hpp"
#include "shared/clock.hpp"
#include "shared/log.hpp"

namespace camstream {
namespace {

// The pause after a failed accept() doubles from the first to the last while failures go on.
// Sessions that end resume accepting at once, so the pause matters only while nothing ends:
// then one retry a second costs nothing and sheds one waiting connection each time.
constexpr std::chrono::milliseconds kFirstAcceptPause{50};
constexpr std::chrono::milliseconds kLastAcceptPause{1000};
constexpr std::uint64_t kAcceptLogIntervalUs = 10'000'000;

// Asio reports errno values in a category of its own, which std::errc does not compare with.
bool out_of_descriptors(const std::error_code& e) {
  return e == asio::error::no_descriptors || e == asio::error::no_buffer_space ||
         e == asio::error::no_memory ||
         (e.category() == asio::error::get_system_category() && e.value() == ENFILE);
}

}  // namespace

Server::Server(asio::io_context& io, Hub& hub, ServerLimits limits)
    : io_(io),
      hub_(hub),
      limits_(limits),
      acceptor_(io),
      per_address_(limits.max_per_address),
      accept_pause_(io),
      log_flush_(io),
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
  accept_pause_.cancel();
  log_flush_.cancel();
  client_log_.flush();
  // A session closed from outside does not call ended(), so the map stays as it is here.
  for (const auto& [key, entry] : sessions_)
    entry.session->close("server stopping");
  sessions_.clear();
  handshakes_.clear();
}

bool Server::handshakes_full() const {
  return handshakes_.size() >= static_cast<std::size_t>(std::max(1, limits_.max_handshakes));
}

void Server::accept() {
  if (stopped_ || accepting_ || paused_) return;
  accepting_ = true;
  if (handshakes_full()) {
    // Make room only for someone: wait until a connection is queued.
    acceptor_.async_wait(asio::socket_base::wait_read, [this](std::error_code ec) {
      accepting_ = false;
      if (stopped_ || ec == asio::error::operation_aborted) return;
      if (ec) return accept_failed(ec);
      make_room();
    });
    return;
  }
  acceptor_.async_accept([this](std::error_code ec, asio::ip::tcp::socket socket) {
    accepting_ = false;
    if (stopped_ || ec == asio::error::operation_aborted) return;
    if (ec) return accept_failed(ec);
    pause_ = std::chrono::milliseconds(0);
    on_accepted(std::move(socket));
    accept();
  });
}

void Server::make_room() {
  if (!handshakes_full()) return accept();
  const std::uint64_t due =
      handshakes_.begin()->second.since_us +
      static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(limits_.handshake_grace).count());
  const std::uint64_t now = monotonic_us();
  if (now < due) return pause_accepting(std::chrono::microseconds(due - now));
  drop_oldest_handshake();
  accept();
}

void Server::pause_accepting(std::chrono::steady_clock::duration how_long) {
  paused_ = true;
  accept_pause_.expires_after(how_long);
  accept_pause_.async_wait([this](std::error_code e) {
    if (e || !paused_) return;
    paused_ = false;
    accept();
  });
}

void Server::accept_failed(const std::error_code& error) {
  ++stats_.accept_failures;
  ++failures_unlogged_;
  // The connection stays queued and the listener readable: take it off with the reserve
  // descriptor so that its client hears a reset now, not a timeout later.
  if (out_of_descriptors(error) && spare_.shed(acceptor_.native_handle())) {
    ++stats_.shed;
    ++stats_.rejected;
    ++shed_unlogged_;
  }
  pause_ = pause_.count() == 0 ? kFirstAcceptPause : std::min(pause_ * 2, kLastAcceptPause);
  const std::uint64_t now = monotonic_us();
  if (accept_logged_us_ == 0 || now - accept_logged_us_ >= kAcceptLogIntervalUs) {
    log::warn("cannot accept connections: " + error.message() + " (" +
              std::to_string(failures_unlogged_) + " times, " + std::to_string(shed_unlogged_) +
              " waiting connections closed unserved since the last such line); accepting "
              "again as connections close" +
              (out_of_descriptors(error) ? "; raise the open-file limit or lower --max-clients "
                                           "and --max-handshakes"
                                         : ""));
    accept_logged_us_ = now;
    failures_unlogged_ = 0;
    shed_unlogged_ = 0;
  }
  pause_accepting(pause_);
}

void Server::resume_accepting() {
  if (!paused_ || stopped_) return;
  paused_ = false;
  accept_pause_.cancel();
  accept();
}

void Server::on_accepted(asio::ip::tcp::socket socket) {
  asio::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return;  // the client is gone already; the socket closes here
  Peer peer{endpoint.address(),
            to_string(HostPort{endpoint.address().to_string(), endpoint.port()}),
            limit_key_text(endpoint.address())};
  const asio::ip::address key = limit_key(endpoint.address());
  if (!per_address_.add(key)) {
    ++stats_.rejected;
    ++stats_.over_address_limit;
    log_client(log::Level::kWarn, peer,
               "client " + peer.name + " refused: " + peer.key + " already has " +
                   std::to_string(per_address_.count(key)) +
                   " connections open, the limit (--max-per-address)");
    abort_on_close(socket);
    return;
  }
  // Room was made before this accept; a kept-alive connection may have taken it since.
  if (handshakes_full()) drop_oldest_handshake();
  ++stats_.accepted;
  auto c = std::make_shared<Connection>(std::move(socket), static_cast<SessionHost&>(*this),
                                        std::move(peer));
  auto& entry = sessions_.emplace(c.get(), Entry{c, key, 0}).first->second;
  enter_handshake(entry, c.get());
  c->start();
}

void Server::enter_handshake(Entry& entry, const Session* key) {
  if (entry.handshake != 0) return;
  entry.handshake = next_handshake_++;
  handshakes_.emplace(entry.handshake, Handshake{key, monotonic_us()});
}

void Server::leave_handshake(Entry& entry) {
  if (entry.handshake == 0) return;
  handshakes_.erase(entry.handshake);
  entry.handshake = 0;
  resume_accepting();  // a newcomer may be waiting for this slot
}

void Server::drop_oldest_handshake() {
  if (handshakes_.empty()) return;
  const Session* oldest = handshakes_.begin()->second.session;
  const auto it = sessions_.find(oldest);
  if (it == sessions_.end()) {
    handshakes_.erase(handshakes_.begin());
    return;
  }
  const std::shared_ptr<Session> session = it->second.session;
  ++stats_.handshakes_dropped;
  ++stats_.rejected;
  log_client(log::Level::kInfo, session->peer(),
             "client " + session->peer().name + " dropped: the oldest of " +
                 std::to_string(handshakes_.size()) +
                 " connections that have not said what they want, for a newer one "
                 "(--max-handshakes)");
  session->close("dropped for a newer connection");
  forget(oldest);
}

void Server::forget(const Session* session) {
  const auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  // Out of the counts at once, so that what the limits see is what is open.
  leave_handshake(it->second);
  per_address_.remove(it->second.key);
  it->second.key = asio::ip::address();
  if (delivering_) {
    ended_.push_back(session);
  } else {
    sessions_.erase(it);
  }
  resume_accepting();
}

void Server::erase(const Session* session) {
  sessions_.erase(session);
}

void Server::deliver(const EncodedFramePtr& frame) {
  if (stopped_) return;
  delivering_ = true;
  for (const auto& [key, entry] : sessions_)
    entry.session->deliver(frame);
  delivering_ = false;
  for (const Session* s : ended_)
    erase(s);
  ended_.clear();
}

ServerStats Server::stats() const {
  ServerStats s = stats_;
  s.clients = sessions_.size();
  s.handshakes = handshakes_.size();
  s.log_held_back = client_log_.held_back();
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
  s.handshakes = handshakes_.size();
  s.limits = LimitFigures{limits_.max_clients, limits_.max_handshakes, limits_.max_per_address,
                          static_cast<double>(limits_.handshake_timeout.count()) / 1000,
                          static_cast<double>(limits_.write_timeout.count()) / 1000};
  s.defences = DefenceFigures{stats_.handshakes_dropped, stats_.over_address_limit,
                              stats_.over_client_limit,  stats_.shed,
                              stats_.accept_failures,    stats_.stalled,
                              client_log_.held_back()};
  for (const auto& [key, entry] : sessions_) {
    if (auto client = entry.session->client_figures(now)) s.clients.push_back(std::move(*client));
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

std::uint64_t Server::request_frame(std::function<void(const EncodedFramePtr&)> done,
                                    std::uint64_t captured_after_us) {
  // The hub answers on an encoder thread: hand the frame over to this loop.
  return hub_.request_next(
      [this, done = std::move(done)](const EncodedFramePtr& frame) {
        asio::post(io_, [done, frame] { done(frame); });
      },
      captured_after_us);
}

std::uint64_t Server::request_still(std::function<void(const EncodedFramePtr&)> done,
                                    std::string& error) {
  if (controls_ == nullptr) {
    error = "this server has no source of stills";
    return 0;
  }
  // Registered before the source is asked, so the still cannot slip past it.
  const std::uint64_t id =
      hub_.request_still([this, done = std::move(done)](const EncodedFramePtr& frame) {
        asio::post(io_, [done, frame] { done(frame); });
      });
  if (!controls_->request_still(error)) {
    hub_.cancel_next(id);
    return 0;
  }
  return id;
}

void Server::cancel_frame_request(std::uint64_t id) {
  hub_.cancel_next(id);
}

void Server::auth_failed(const Peer& peer) {
  ++stats_.auth_failures;
  constexpr std::uint64_t kLogIntervalUs = 60'000'000;
  constexpr std::size_t kMaxRemembered = 1024;
  // The address (an IPv6 /64) without the port: a client retrying from new ports is one client.
  const std::string& address = peer.key;
  const std::uint64_t now = monotonic_us();
  auto it = auth_logged_us_.find(address);
  if (it != auth_logged_us_.end() && now - it->second < kLogIntervalUs) return;
  if (it == auth_logged_us_.end() && auth_logged_us_.size() >= kMaxRemembered)
    auth_logged_us_.clear();  // an address storm forgets, rather than grows without bound
  auth_logged_us_[address] = now;
  log::warn("client " + peer.name + " presented credentials that match none (" +
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
  const auto it = sessions_.find(&from);
  if (it == sessions_.end()) return;
  Entry entry = std::move(it->second);
  sessions_.erase(it);
  const Session* key = to.get();
  entry.session = std::move(to);
  if (entry.handshake != 0) handshakes_.at(entry.handshake).session = key;
  sessions_.emplace(key, std::move(entry));
}

bool Server::admit(const Session& session) {
  const auto it = sessions_.find(&session);
  if (it == sessions_.end()) return false;
  if (it->second.handshake == 0) return true;
  if (served() >= static_cast<std::size_t>(limits_.max_clients)) {
    ++stats_.over_client_limit;
    return false;
  }
  leave_handshake(it->second);
  return true;
}

void Server::await_client(const Session& session) {
  const auto it = sessions_.find(&session);
  if (it == sessions_.end() || it->second.handshake != 0) return;
  if (handshakes_full()) drop_oldest_handshake();
  enter_handshake(it->second, &session);
}

void Server::ended(const Session& session, bool refused) {
  if (refused) ++stats_.rejected;
  if (stopped_) return;
  forget(&session);
}

void Server::log_client(log::Level level, const Peer& peer, std::string_view message) {
  client_log_.write(level, peer.key, message);
  if (!client_log_.holding() || flush_armed_ || stopped_) return;
  // Lines are being held back: say so at the end of the interval even if no line follows.
  flush_armed_ = true;
  log_flush_.expires_after(client_log_.interval());
  log_flush_.async_wait([this](std::error_code e) {
    if (e) return;
    flush_armed_ = false;
    client_log_.flush();
  });
}

}  // namespace camstream
