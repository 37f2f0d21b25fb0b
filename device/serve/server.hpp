// server.hpp - the TCP server: one Asio event loop, one port, a session per client.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <asio.hpp>

#include "device/encode/encoded_frame.hpp"
#include "device/encode/stage_times.hpp"
#include "device/figures.hpp"
#include "device/serve/address_limit.hpp"
#include "device/serve/client_log.hpp"
#include "device/serve/session.hpp"
#include "device/serve/spare_fd.hpp"
#include "device/serve/tls.hpp"
#include "shared/address.hpp"

namespace camstream {

class Hub;

// The server's own counters (its part of the figures).
struct ServerStats {
  std::uint64_t accepted = 0;
  // Closed unserved: garbage, wrong version, bad request, silent, over a limit, shed.
  std::uint64_t rejected = 0;
  std::uint64_t frames_sent = 0;  // over all clients
  std::uint64_t frames_skipped = 0;
  std::uint64_t auth_failures = 0;  // credentials presented that matched nothing
  std::size_t clients = 0;          // open connections of any kind
  std::size_t handshakes = 0;       // of those, waiting for their client to say what it wants
  // Parts of `rejected`, one per defence: the oldest handshake closed for a newcomer
  // (max_handshakes), refused at accept (max_per_address), refused after saying what they
  // wanted (max_clients), taken off the queue and closed while out of descriptors.
  std::uint64_t handshakes_dropped = 0;
  std::uint64_t over_address_limit = 0;
  std::uint64_t over_client_limit = 0;
  std::uint64_t shed = 0;
  std::uint64_t accept_failures = 0;  // accept() failed (out of descriptors...): a pause each
  std::uint64_t stalled = 0;          // served clients cut for taking no byte (write timeout)
  std::uint64_t log_held_back = 0;    // lines about clients the rate limit held back
};

// Accepts connections, keeps their sessions and fans each published frame out to them, within
// ServerLimits: a handshake budget apart from the clients being served, a limit per address,
// and an accept loop that pauses instead of spinning when descriptors run out. Everything here
// runs on the io_context's one thread, deliver() included: the hub's listener posts frames to
// it.
class Server final : private SessionHost {
 public:
  Server(asio::io_context& io, Hub& hub, ServerLimits limits = {});
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. On failure returns false with a sentence saying what to do in `error`.
  bool listen(const HostPort& where, std::string& error);
  // Whether a descriptor is held in reserve for shedding connections while out of them.
  bool holds_spare_fd() const { return spare_.held(); }
  HostPort local_address() const;

  void start();
  // Stops accepting and closes every client.
  void stop();

  // Hands the newest frame to every session.
  void deliver(const EncodedFramePtr& frame);

  ServerStats stats() const;
  const ServerLimits& limits() const override { return limits_; }
  // Before start(): who may watch and steer. Without it the camera is open to every client.
  void set_access(Access access) { access_ = std::move(access); }
  // Before start(): TLS on the same port, beside the clear dialects; `tls` must outlive the
  // server. Without it every connection is in the clear.
  void set_tls(TlsServer* tls) { tls_ = tls; }
  // The pipeline's part of the figures; `source` must stay valid while the event loop runs.
  // Without one, the figures leave the pipeline out.
  void set_pipeline_figures(const PipelineFiguresSource* source) { pipeline_ = source; }
  // The control API (/controls, the native control messages); without it they answer that
  // there are no controls. `controls` must outlive the server.
  void set_controls(Controls* controls) { controls_ = controls; }
  // Every figure at this moment: what /status, /metrics and the --stats log line report.
  Figures figures() override;

 private:
  // A session and what the limits count it as.
  struct Entry {
    std::shared_ptr<Session> session;
    asio::ip::address key;        // limit_key of the client's address
    std::uint64_t handshake = 0;  // its place among handshakes_ (oldest first); 0: served
  };

  // One step of the accept loop at a time: an accept, or, while the handshake budget is full,
  // a wait for a newcomer, then make_room().
  void accept();
  void on_accepted(asio::ip::tcp::socket socket);
  // A newcomer waits and the handshake budget is full: drop the oldest handshake if it has
  // had the handshake grace to speak, else pause until it has (or a handshake ends).
  void make_room();
  // accept() failed: shed a waiting connection if descriptors ran out, then pause (longer
  // while it keeps failing) instead of retrying at once, which spun (issue 10).
  void accept_failed(const std::error_code& error);
  void pause_accepting(std::chrono::steady_clock::duration how_long);
  // A descriptor or a handshake slot came free: accept again now rather than at the pause's
  // end.
  void resume_accepting();
  bool handshakes_full() const;
  void enter_handshake(Entry& entry, const Session* key);
  void leave_handshake(Entry& entry);
  void drop_oldest_handshake();
  // Removes a closed session, or queues it for removal while deliver() walks the sessions.
  void forget(const Session* session);
  void erase(const Session* session);
  std::size_t served() const { return sessions_.size() - handshakes_.size(); }

  // SessionHost
  EncodedFramePtr latest_frame() override;
  Demand::Watch watch() override;
  bool frames_flowing() override;
  std::uint64_t request_frame(std::function<void(const EncodedFramePtr&)> done,
                              std::uint64_t captured_after_us) override;
  std::uint64_t request_still(std::function<void(const EncodedFramePtr&)> done,
                              std::string& error) override;
  Controls* controls() override { return controls_; }
  void cancel_frame_request(std::uint64_t id) override;
  Access& access() override { return access_; }
  asio::ssl::context* tls_context() override { return tls_ ? &tls_->context() : nullptr; }
  void auth_failed(const Peer& peer) override;
  void frame_sent(std::uint64_t write_us) override;
  void frame_skipped() override;
  void hand_over(const Session& from, std::shared_ptr<Session> to) override;
  bool admit(const Session& session) override;
  void await_client(const Session& session) override;
  void ended(const Session& session, bool refused) override;
  void client_stalled() override { ++stats_.stalled; }
  void log_client(log::Level level, const Peer& peer, std::string_view message) override;

  asio::io_context& io_;
  Hub& hub_;
  const ServerLimits limits_;
  Access access_;
  TlsServer* tls_ = nullptr;
  // When each address last had a failed attempt logged: one line per address per minute.
  std::unordered_map<std::string, std::uint64_t> auth_logged_us_;
  asio::ip::tcp::acceptor acceptor_;
  std::unordered_map<const Session*, Entry> sessions_;
  struct Handshake {
    const Session* session;
    std::uint64_t since_us;  // when it began waiting for its client
  };
  std::map<std::uint64_t, Handshake> handshakes_;  // by Entry::handshake, oldest first
  std::uint64_t next_handshake_ = 1;
  AddressLimit per_address_;
  bool delivering_ = false;            // sessions_ must not change under deliver()'s loop
  std::vector<const Session*> ended_;  // sessions that ended during deliver()
  bool stopped_ = false;

  // The accept loop: one accept (or wait for a newcomer) pending at a time, or a pause.
  SpareFd spare_;
  asio::steady_timer accept_pause_;
  bool accepting_ = false;
  bool paused_ = false;
  std::chrono::milliseconds pause_{0};  // after failures; grows while they go on
  // accept() failures are logged once per interval, with what happened since the last line.
  std::uint64_t accept_logged_us_ = 0;
  std::uint64_t failures_unlogged_ = 0;
  std::uint64_t shed_unlogged_ = 0;
  ClientLog client_log_;
  asio::steady_timer log_flush_;  // writes the held-back summary at the end of an interval
  bool flush_armed_ = false;

  // The figures: the pipeline's from outside, the rest counted here.
  const PipelineFiguresSource* pipeline_ = nullptr;
  Controls* controls_ = nullptr;
  ServerStats stats_;
  StageTimes send_times_;
  std::uint64_t started_us_;
  RateMeter captured_rate_;
  RateMeter sent_rate_;
};

}  // namespace camstream
