// http_connection.hpp - camview's network thread for an HTTP MJPEG stream (camstreamd, ustreamer,
// ffmpeg).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include <asio.hpp>

#include "viewer/net/connection.hpp"
#include "viewer/net/frame_mailbox.hpp"
#include "viewer/net/http_stream.hpp"
#include "viewer/net/http_url.hpp"

namespace camstream {

// The same contract as ViewerConnection: its own thread and event loop, frames into the
// mailbox, `notify` after every put() and after the mailbox is closed. HTTP carries no clock
// exchange, so clock_offset() is always false and latency is not measured.
class HttpViewerConnection {
 public:
  HttpViewerConnection(HttpUrl url, FrameMailbox& mailbox, std::function<void()> notify,
                       ConnectionLimits limits = {});
  ~HttpViewerConnection();
  HttpViewerConnection(const HttpViewerConnection&) = delete;
  HttpViewerConnection& operator=(const HttpViewerConnection&) = delete;

  void start();
  void stop();

  std::uint64_t bytes_received() const { return bytes_received_.load(); }
  std::uint64_t frames_received() const { return frames_received_.load(); }
  // Gaps in the parts' X-Sequence numbers, when the server sends them (camstreamd does).
  std::uint64_t frames_lost() const { return frames_lost_.load(); }
  bool clock_offset(std::int64_t& offset_us) const;

 private:
  void run();
  void fail(const std::string& message);
  void on_connected();
  void read();
  void on_part(MjpegPart&& part);

  HttpUrl url_;
  FrameMailbox& mailbox_;
  std::function<void()> notify_;
  ConnectionLimits limits_;
  std::string name_;  // the URL, for messages

  asio::io_context io_;
  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer deadline_;
  std::thread thread_;
  bool streaming_ = false;
  bool done_ = false;

  std::string request_;
  std::array<std::uint8_t, 65536> in_{};
  MjpegResponseReader reader_;
  std::uint64_t parts_ = 0;
  bool have_seq_ = false;
  std::uint64_t last_seq_ = 0;

  std::atomic<std::uint64_t> bytes_received_{0};
  std::atomic<std::uint64_t> frames_received_{0};
  std::atomic<std::uint64_t> frames_lost_{0};
};

}  // namespace camstream
