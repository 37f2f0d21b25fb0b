// server.hpp - the TCP server: one Asio event loop, one port, a session per client.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include <asio.hpp>

#include "device/encode/encoded_frame.hpp"
#include "device/encode/stage_times.hpp"
#include "device/serve/http_stats.hpp"
#include "shared/address.hpp"

namespace camstream {

class Hub;
class Connection;

struct ServerLimits {
  // A new connection must say which protocol it speaks within this time.
  std::chrono::milliseconds handshake_timeout{5000};
  // A client whose socket takes one frame for longer than this is disconnected: it holds a
  // frame in memory and is not watching anything live anyway.
  std::chrono::milliseconds write_timeout{30000};
  int max_clients = 256;
};

struct ServerStats {
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;     // garbage, wrong version, too many clients
  std::uint64_t frames_sent = 0;  // over all clients
  std::uint64_t frames_skipped = 0;
  std::size_t clients = 0;
};

// Everything here runs on the io_context's one thread, deliver() included: the hub's
// listener posts frames to it.
class Server {
 public:
  Server(asio::io_context& io, Hub& hub, ServerLimits limits = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. On failure returns false with a sentence saying what to do in `error`.
  bool listen(const HostPort& where, std::string& error);
  HostPort local_address() const;

  void start();
  // Stops accepting and closes every client.
  void stop();

  // Hands the newest frame to every streaming client.
  void deliver(const EncodedFramePtr& frame);

  ServerStats stats() const;
  // Per frame and client: a frame write's start to its completion (the socket took it all).
  const StageTimes& send_times() const { return send_times_; }
  // The pipeline's figures for HTTP /status and /metrics; `provider` must stay valid while
  // the event loop runs.
  void set_stats_provider(const StatsProvider* provider) { figures_.provider = provider; }

 private:
  friend class Connection;
  void accept();
  void remove(const std::shared_ptr<Connection>& c);

  asio::io_context& io_;
  Hub& hub_;
  ServerLimits limits_;
  asio::ip::tcp::acceptor acceptor_;
  std::set<std::shared_ptr<Connection>> connections_;
  bool stopped_ = false;
  ServerStats stats_;
  StageTimes send_times_;
  ServerFiguresState figures_;
};

}  // namespace camstream
