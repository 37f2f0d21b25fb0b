// server.hpp - the TCP server: one Asio event loop, one port, a session per client.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <asio.hpp>

#include "device/encode/encoded_frame.hpp"
#include "device/encode/stage_times.hpp"
#include "device/figures.hpp"
#include "device/serve/session.hpp"
#include "shared/address.hpp"

namespace camstream {

class Hub;

// The server's own counters (its part of the figures).
struct ServerStats {
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;     // garbage, wrong version, bad request, too many clients
  std::uint64_t frames_sent = 0;  // over all clients
  std::uint64_t frames_skipped = 0;
  std::uint64_t auth_failures = 0;  // credentials presented that matched nothing
  std::size_t clients = 0;          // open connections of any kind
};

// Accepts connections, keeps their sessions and fans each published frame out to them.
// Everything here runs on the io_context's one thread, deliver() included: the hub's listener
// posts frames to it.
class Server final : private SessionHost {
 public:
  Server(asio::io_context& io, Hub& hub, ServerLimits limits = {});
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. On failure returns false with a sentence saying what to do in `error`.
  bool listen(const HostPort& where, std::string& error);
  HostPort local_address() const;

  void start();
  // Stops accepting and closes every client.
  void stop();

  // Hands the newest frame to every session.
  void deliver(const EncodedFramePtr& frame);

  ServerStats stats() const;
  // Before start(): who may watch and steer. Without it the camera is open to every client.
  void set_access(Access access) { access_ = std::move(access); }
  // The pipeline's part of the figures; `source` must stay valid while the event loop runs.
  // Without one, the figures leave the pipeline out.
  void set_pipeline_figures(const PipelineFiguresSource* source) { pipeline_ = source; }
  // Every figure at this moment: what /status, /metrics and the --stats log line report.
  Figures figures() override;

 private:
  void accept();

  // SessionHost
  const ServerLimits& limits() const override { return limits_; }
  EncodedFramePtr latest_frame() override;
  Demand::Watch watch() override;
  bool frames_flowing() override;
  std::uint64_t request_frame(std::function<void(const EncodedFramePtr&)> done) override;
  void cancel_frame_request(std::uint64_t id) override;
  Access& access() override { return access_; }
  void auth_failed(const std::string& peer) override;
  void frame_sent(std::uint64_t write_us) override;
  void frame_skipped() override;
  void hand_over(const Session& from, std::shared_ptr<Session> to) override;
  void ended(const Session& session, bool refused) override;

  asio::io_context& io_;
  Hub& hub_;
  const ServerLimits limits_;
  Access access_;
  // When each address last had a failed attempt logged: one line per address per minute.
  std::unordered_map<std::string, std::uint64_t> auth_logged_us_;
  asio::ip::tcp::acceptor acceptor_;
  std::unordered_map<const Session*, std::shared_ptr<Session>> sessions_;
  bool delivering_ = false;            // sessions_ must not change under deliver()'s loop
  std::vector<const Session*> ended_;  // sessions that ended during deliver()
  bool stopped_ = false;

  // The figures: the pipeline's from outside, the rest counted here.
  const PipelineFiguresSource* pipeline_ = nullptr;
  ServerStats stats_;
  StageTimes send_times_;
  std::uint64_t started_us_;
  RateMeter captured_rate_;
  RateMeter sent_rate_;
};

}  // namespace camstream
