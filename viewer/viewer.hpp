// viewer.hpp - camview after the network: the connection's life, decode, pattern check, figures.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "shared/address.hpp"
#include "shared/yuv.hpp"
#include "viewer/decode/decoder.hpp"
#include "viewer/frame.hpp"
#include "viewer/net/frame_mailbox.hpp"
#include "viewer/net/http_url.hpp"
#include "viewer/net/stream_link.hpp"
#include "viewer/stats.hpp"

namespace camstream {

inline constexpr int kExitOk = 0;
inline constexpr int kExitStream = 1;  // cannot connect, wrong peer, stream ended, display failed
inline constexpr int kExitUsage = 2;
inline constexpr int kExitPattern = 3;  // --check-pattern found a frame whose pixels disagree

struct ViewerOptions {
  HostPort target;
  std::optional<HttpUrl> url;  // an HTTP MJPEG stream instead of the native protocol
  std::string token;           // --token, --token-file or CAMSTREAM_TOKEN; empty for none
  bool no_display = false;
  bool print_fps = false;
  bool check_pattern = false;
  std::uint64_t frames = 0;  // 0 = until the stream ends or the window closes
};

// Everything that happens to a frame after it leaves the mailbox, with or without a window,
// and the life of the connection that fills the mailbox: start() starts its network thread,
// stop() ends the stream and joins it, the destructor stops. Lives on the main thread;
// `mailbox` must be the one `link` fills, and outlive the viewer.
class Viewer {
 public:
  Viewer(ViewerOptions opt, std::unique_ptr<StreamLink> link, FrameMailbox& mailbox);
  ~Viewer();
  Viewer(const Viewer&) = delete;
  Viewer& operator=(const Viewer&) = delete;

  // Once.
  void start();
  // Safe to call more than once.
  void stop();

  enum class Outcome { kShow, kShowAndStop, kSkip };

  // Decodes the frame. kSkip: it could not be decoded and image() holds nothing to show;
  // kShowAndStop: the last of --frames N.
  Outcome consume(const ReceivedFrame& frame);
  // The frame consumed last is on screen now.
  void presented();
  // Called often; prints (with --print-fps) and returns a summary once a second.
  std::optional<WindowFigures> tick();

  // The window's title before the first summary, and after each.
  std::string connecting_title() const;
  std::string title() const;

  FrameMailbox& mailbox() { return mailbox_; }
  const Yuv420Image& image() const { return decoder_.image(); }
  std::uint64_t decoded() const { return decoded_; }
  std::uint64_t pattern_errors() const { return pattern_errors_; }

  // camview's exit code once its loop has ended: `enough` when --frames N were decoded,
  // `interrupted` on SIGINT or SIGTERM. Logs why when it is not kExitOk.
  int exit_code(bool enough, bool interrupted) const;

 private:
  void check(std::uint64_t seq, const Yuv420Image& img);
  std::int64_t since_capture(std::uint64_t local_us) const;

  const ViewerOptions opt_;
  const std::unique_ptr<StreamLink> link_;
  FrameMailbox& mailbox_;
  FrameDecoder decoder_;
  ViewerStats stats_;
  std::uint64_t decoded_ = 0;
  std::uint64_t last_roll_us_;
  std::uint64_t pattern_errors_ = 0;
  int width_ = 0;
  int height_ = 0;
  double fps_ = 0;
  std::int64_t capture_local_us_ = -1;
};

}  // namespace camstream
