// connection.hpp - camview's network thread: connect, handshake, read frames, ping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <asio.hpp>

#include "shared/address.hpp"
#include "shared/protocol.hpp"
#include "viewer/net/frame_mailbox.hpp"

namespace camstream {

struct ConnectionLimits {
  std::chrono::milliseconds connect_timeout{5000};
  // No byte for this long (the daemon answers a ping every second) means a dead link.
  std::chrono::milliseconds idle_timeout{10000};
  std::chrono::milliseconds ping_interval{1000};
};

// Runs its own thread and event loop. Frames go into the mailbox; `notify` is called on the
// network thread after every put() and after the mailbox is closed, and must not block.
class ViewerConnection {
 public:
  ViewerConnection(HostPort target, FrameMailbox& mailbox, std::function<void()> notify,
                   ConnectionLimits limits = {});
  ~ViewerConnection();
  ViewerConnection(const ViewerConnection&) = delete;
  ViewerConnection& operator=(const ViewerConnection&) = delete;

  void start();
  void stop();

  std::uint64_t bytes_received() const { return bytes_received_.load(); }
  std::uint64_t frames_received() const { return frames_received_.load(); }
  // Sequence numbers the daemon never sent (it skipped them for this client or dropped them).
  std::uint64_t frames_lost() const { return frames_lost_.load(); }
  // Estimated daemon clock minus viewer clock, in µs, from the ping with the shortest round
  // trip so far; false until the first pong.
  bool clock_offset(std::int64_t& offset_us) const;

 private:
  void run();
  void fail(const std::string& message);
  void on_connected();
  void read_server_hello();
  void read_header();
  void read_payload();
  void send_ping();
  void touch();
  // An async_read completion condition that takes any progress as a sign of life, so a large
  // frame on a slow link does not trip the idle timeout.
  std::function<std::size_t(const std::error_code&, std::size_t)> progress();

  HostPort target_;
  FrameMailbox& mailbox_;
  std::function<void()> notify_;
  ConnectionLimits limits_;
  std::string name_;  // "host:port" for messages

  asio::io_context io_;
  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer deadline_;
  asio::steady_timer ping_timer_;
  std::thread thread_;
  bool streaming_ = false;
  bool done_ = false;

  proto::ClientHelloBytes hello_out_{};
  proto::ServerHelloBytes hello_in_{};
  proto::MessageHeaderBytes header_in_{};
  proto::MessageHeader current_{};
  std::vector<std::uint8_t> payload_;
  std::array<std::uint8_t, proto::kMessageHeaderSize + proto::kPingPayloadSize> ping_out_{};
  bool ping_in_flight_ = false;

  std::atomic<std::uint64_t> bytes_received_{0};
  std::atomic<std::uint64_t> frames_received_{0};
  std::atomic<std::uint64_t> frames_lost_{0};
  bool have_seq_ = false;
  std::uint64_t last_seq_ = 0;
  mutable std::mutex clock_mutex_;
  bool have_offset_ = false;
  std::int64_t offset_us_ = 0;
  std::uint64_t best_rtt_us_ = 0;
};

}  // namespace camstream
