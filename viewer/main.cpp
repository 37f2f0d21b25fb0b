// main.cpp - camview: network thread -> mailbox -> decode -> SDL display (or none).
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <SDL.h>

#include "shared/address.hpp"
#include "shared/clock.hpp"
#include "shared/log.hpp"
#include "shared/seqcode.hpp"
#include "shared/version.hpp"
#include "viewer/decode/decoder.hpp"
#include "viewer/display/display.hpp"
#include "viewer/net/frame_mailbox.hpp"
#include "viewer/net/http_connection.hpp"
#include "viewer/net/http_url.hpp"
#include "viewer/net/native_connection.hpp"
#include "viewer/stats.hpp"

using namespace camstream;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitStream = 1;  // cannot connect, wrong peer, stream ended
constexpr int kExitUsage = 2;
constexpr int kExitPattern = 3;  // --check-pattern found a frame whose pixels disagree

std::atomic<bool> g_interrupted{false};

struct ViewerOptions {
  HostPort target;
  std::optional<HttpUrl> url;  // an HTTP MJPEG stream instead of the native protocol
  bool no_display = false;
  bool print_fps = false;
  bool check_pattern = false;
  std::uint64_t frames = 0;  // 0 = until the stream ends or the window closes
};

// What the window title calls the stream: the URL, or HOST:PORT for the native protocol.
std::string source_name(const ViewerOptions& opt) {
  return opt.url ? to_string(*opt.url) : to_string(opt.target);
}

// The network side for the target: the native protocol, or an HTTP MJPEG stream.
std::unique_ptr<StreamLink> connect_to(const ViewerOptions& opt, FrameMailbox& mailbox,
                                       std::function<void()> notify) {
  if (opt.url) return std::make_unique<HttpViewerConnection>(*opt.url, mailbox, std::move(notify));
  return std::make_unique<NativeViewerConnection>(opt.target, mailbox, std::move(notify));
}

// Everything that happens to a frame after it leaves the mailbox, with or without a window.
class Viewer {
 public:
  Viewer(const ViewerOptions& opt, const StreamLink& conn, FrameMailbox& mailbox)
      : opt_(opt), conn_(conn), mailbox_(mailbox), stats_(monotonic_us()) {}

  enum class Outcome { kShow, kShowAndStop, kSkip };

  // Decodes the frame. kSkip: it could not be decoded and image() holds nothing to show;
  // kShowAndStop: the last of --frames N.
  Outcome consume(const ReceivedFrame& frame) {
    const std::uint64_t decode_start_us = monotonic_us();
    if (!decoder_.decode(frame)) {
      log::warn("skipping frame " + std::to_string(frame.header.seq) +
                ": cannot decode its JPEG (" + decoder_.error() + ")");
      return Outcome::kSkip;
    }
    const std::uint64_t decoded_us = monotonic_us();
    std::int64_t offset = 0;
    // Capture time on the viewer's clock; unknown (-1) until the first pong.
    capture_local_us_ = -1;
    if (conn_.clock_offset(offset))
      capture_local_us_ = static_cast<std::int64_t>(frame.header.capture_us) - offset;
    stats_.frame(since_capture(frame.received_us), since_capture(decoded_us),
                 static_cast<std::int64_t>(decoded_us - decode_start_us));
    last_seq_ = frame.header.seq;
    const Yuv420Image& img = decoder_.image();
    width_ = img.width();
    height_ = img.height();
    if (opt_.check_pattern) check(frame.header.seq, img);
    ++decoded_;
    return opt_.frames != 0 && decoded_ >= opt_.frames ? Outcome::kShowAndStop : Outcome::kShow;
  }

  // The frame consumed last is on screen now.
  void presented() { stats_.presented(since_capture(monotonic_us())); }

  // Called often; prints and returns a summary once a second.
  std::optional<WindowFigures> tick() {
    const std::uint64_t now = monotonic_us();
    if (now - last_roll_us_ < 1000000) return std::nullopt;
    last_roll_us_ = now;
    WindowFigures f =
        stats_.roll(now, conn_.bytes_received(), mailbox_.skipped(), conn_.frames_lost());
    if (opt_.print_fps) {
      std::printf("%s\n", ViewerStats::format(f).c_str());
      std::fflush(stdout);
    }
    fps_ = f.fps;
    return f;
  }

  std::string title() const {
    char buf[64];
    std::snprintf(buf, sizeof buf, " - %dx%d - %.1f fps", width_, height_, fps_);
    return "camview - " + source_name(opt_) + buf;
  }

  const Yuv420Image& image() const { return decoder_.image(); }
  std::uint64_t decoded() const { return decoded_; }
  std::uint64_t pattern_errors() const { return pattern_errors_; }

 private:
  void check(std::uint64_t seq, const Yuv420Image& img) {
    const auto read = seqcode::read(img.y(), img.y_stride(), img.width(), img.height());
    const auto expected = static_cast<std::uint32_t>(seq);
    if (read) {
      std::printf("frame seq=%llu pixel_seq=%u\n", static_cast<unsigned long long>(seq), *read);
    } else {
      std::printf("frame seq=%llu pixel_seq=none\n", static_cast<unsigned long long>(seq));
    }
    std::fflush(stdout);
    if (!read || *read != expected) {
      ++pattern_errors_;
      log::error(
          "frame " + std::to_string(seq) + ": the picture carries " +
          (read ? "sequence number " + std::to_string(*read) : std::string("no readable code")) +
          "; the stream is not the test pattern or the frame is damaged");
    }
  }

  std::int64_t since_capture(std::uint64_t local_us) const {
    return capture_local_us_ < 0 ? -1 : static_cast<std::int64_t>(local_us) - capture_local_us_;
  }

  const ViewerOptions& opt_;
  const StreamLink& conn_;
  FrameMailbox& mailbox_;
  FrameDecoder decoder_;
  ViewerStats stats_;
  std::uint64_t decoded_ = 0;
  std::uint64_t last_seq_ = 0;
  std::uint64_t last_roll_us_ = monotonic_us();
  std::uint64_t pattern_errors_ = 0;
  int width_ = 0;
  int height_ = 0;
  double fps_ = 0;
  std::int64_t capture_local_us_ = -1;
};

int finish(const Viewer& viewer, const FrameMailbox& mailbox, bool enough) {
  if (viewer.pattern_errors() > 0) {
    log::error(std::to_string(viewer.pattern_errors()) + " of " + std::to_string(viewer.decoded()) +
               " frames failed the pattern check");
    return kExitPattern;
  }
  if (enough || g_interrupted.load()) return kExitOk;
  if (mailbox.closed_with_error()) {
    log::error(mailbox.reason());
    return kExitStream;
  }
  return kExitOk;
}

int run_headless(const ViewerOptions& opt, FrameMailbox& mailbox) {
  const auto conn = connect_to(opt, mailbox, [] {});
  Viewer viewer(opt, *conn, mailbox);
  conn->start();
  bool enough = false;
  while (!g_interrupted.load()) {
    auto frame = mailbox.wait_take(std::chrono::milliseconds(100));
    if (frame && viewer.consume(*frame) == Viewer::Outcome::kShowAndStop) {
      enough = true;
      break;
    }
    viewer.tick();
    if (!frame && mailbox.closed()) break;
  }
  conn->stop();
  return finish(viewer, mailbox, enough);
}

int run_window(const ViewerOptions& opt, FrameMailbox& mailbox) {
  Display display;
  std::string error;
  if (!display.init(error)) {
    log::error(error);
    return kExitStream;
  }
  const Uint32 frame_event = SDL_RegisterEvents(1);
  if (frame_event == static_cast<Uint32>(-1)) {
    log::error("cannot register an SDL event");
    return kExitStream;
  }
  // At most one wake-up in flight: the queue never floods, the mailbox holds the newest frame.
  std::atomic<bool> event_pending{false};
  const auto conn = connect_to(opt, mailbox, [&event_pending, frame_event] {
    if (!event_pending.exchange(true)) {
      SDL_Event e{};
      e.type = frame_event;
      // A full queue must not leave the flag set, or no frame would ever wake the loop again.
      if (SDL_PushEvent(&e) != 1) event_pending.store(false);
    }
  });
  Viewer viewer(opt, *conn, mailbox);
  display.set_title("camview - " + source_name(opt) + " - connecting");
  conn->start();

  bool enough = false;
  bool quit = false;
  // Takes the newest frame, if any, through decode to the screen; false on a display error.
  const auto show_next = [&]() {
    auto frame = mailbox.take();
    if (!frame) return true;
    const Viewer::Outcome outcome = viewer.consume(*frame);
    if (outcome == Viewer::Outcome::kSkip) return true;
    if (outcome == Viewer::Outcome::kShowAndStop) enough = true;
    if (!display.show(viewer.image().view(), error)) {
      log::error(error);
      return false;
    }
    viewer.presented();
    return true;
  };
  while (!quit && !enough && !g_interrupted.load()) {
    SDL_Event e;
    if (SDL_WaitEventTimeout(&e, 100)) {
      do {
        if (e.type == SDL_QUIT) {
          quit = true;
        } else if (e.type == SDL_WINDOWEVENT && (e.window.event == SDL_WINDOWEVENT_EXPOSED ||
                                                 e.window.event == SDL_WINDOWEVENT_SIZE_CHANGED)) {
          display.redraw();
        } else if (e.type == frame_event) {
          event_pending.store(false);
          if (!show_next()) {
            conn->stop();
            return kExitStream;
          }
        }
      } while (SDL_PollEvent(&e));
    }
    if (viewer.tick()) display.set_title(viewer.title());
    if (mailbox.closed() && !enough) {
      // The stream is over; the last frame that arrived still gets shown.
      if (!show_next()) {
        conn->stop();
        return kExitStream;
      }
      break;
    }
  }
  conn->stop();
  return finish(viewer, mailbox, enough);
}

}  // namespace

int main(int argc, char** argv) {
  log::set_program("camview");
  std::signal(SIGPIPE, SIG_IGN);

  ViewerOptions opt;
  std::string target;
  std::string log_level = "info";
  CLI::App app{"camview - shows the live stream of a camstreamd", "camview"};
  app.set_version_flag("--version", std::string("camview ") + kVersion);
  app.add_option("target", target,
                 "HOST[:PORT] of the camstreamd (default port 8080), or the http:// URL of an "
                 "MJPEG stream (camstreamd's /stream, ustreamer, mjpg-streamer, ffmpeg)")
      ->required();
  app.add_flag("--no-display", opt.no_display,
               "Receive and decode without opening a window (for headless machines and tests)");
  app.add_flag(
      "--print-fps", opt.print_fps,
      "Print one line a second: fps, kbit/s, frames skipped and lost, latency from capture to "
      "received, decoded and presented (p50/p99), decode time");
  app.add_option("--frames", opt.frames, "Exit 0 after this many decoded frames")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  app.add_flag("--check-pattern", opt.check_pattern,
               "Read the sequence number drawn in each frame of the test pattern, print it "
               "and fail (exit 3) when it disagrees with the frame's header");
  app.add_option("--log-level", log_level, "debug, info, warn or error")
      ->check(CLI::IsMember(log::level_names()));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "camview: error: ";
    app.exit(e);
    return kExitUsage;
  }
  log::set_level(log::parse_level(log_level).value_or(log::Level::kInfo));
  std::string error;
  if (looks_like_url(target)) {
    opt.url = parse_http_url(target, error);
    if (!opt.url) {
      std::cerr << "camview: error: bad URL '" << target << "': " << error
                << "; e.g. http://raspberrypi.local:8080/stream\n";
      return kExitUsage;
    }
    opt.target = opt.url->server;
  }
  const auto parsed = opt.url ? std::optional<HostPort>(opt.target) : parse_target(target, error);
  if (!parsed) {
    std::cerr << "camview: error: bad address '" << target << "': " << error
              << "; give HOST[:PORT], e.g. raspberrypi.local:8080\n";
    return kExitUsage;
  }
  opt.target = *parsed;

  std::signal(SIGINT, [](int) { g_interrupted.store(true); });
  std::signal(SIGTERM, [](int) { g_interrupted.store(true); });

  FrameMailbox mailbox;
  return opt.no_display ? run_headless(opt, mailbox) : run_window(opt, mailbox);
}
