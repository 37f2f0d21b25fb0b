// http_connection.hpp - camview's network thread for an HTTP MJPEG stream (camstreamd, ustreamer,
// ffmpeg).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include "viewer/net/frame_mailbox.hpp"
#include "viewer/net/http_stream.hpp"
#include "viewer/net/http_url.hpp"
#include "viewer/net/stream_link.hpp"

namespace camstream {

// An HTTP MJPEG stream as a StreamLink. X-Sequence headers, where the server sends them
// (camstreamd does), give sequence numbers and lost frames; HTTP carries no clock exchange,
// so clock_offset() stays false and latency is not measured.
class HttpViewerConnection final : public StreamLink {
 public:
  // `token` goes out as "Authorization: Bearer"; without one, a user name and password in
  // the URL go out as HTTP Basic.
  HttpViewerConnection(HttpUrl url, FrameMailbox& mailbox, std::function<void()> notify,
                       ConnectionLimits limits = {}, std::string token = {},
                       std::shared_ptr<TlsClient> tls = nullptr);
  ~HttpViewerConnection() override;

 private:
  void on_connected() override;
  void read();
  void on_part(MjpegPart&& part);
  // Ends the stream with the reader's error; for good when the server answered with no stream.
  void failed();

  HttpUrl url_;
  const std::string token_;
  std::string request_;
  std::array<std::uint8_t, 65536> in_{};
  MjpegResponseReader reader_;
  std::uint64_t parts_ = 0;
  bool have_seq_ = false;
  std::uint64_t last_seq_ = 0;
};

}  // namespace camstream
