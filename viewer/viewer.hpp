// viewer.hpp - camview after the network: the connection's life, decode, pattern check, figures.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/address.hpp"
#include "shared/yuv.hpp"
#include "viewer/decode/decoder.hpp"
#include "viewer/feed.hpp"
#include "viewer/frame.hpp"
#include "viewer/net/control_channel.hpp"
#include "viewer/net/http_url.hpp"
#include "viewer/net/reconnect_policy.hpp"
#include "viewer/save/recording_writer.hpp"
#include "viewer/stats.hpp"

namespace camstream {

inline constexpr int kExitOk = 0;
// cannot connect, wrong peer, stream ended (--no-reconnect), refused token, display failed
inline constexpr int kExitStream = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitPattern = 3;  // --check-pattern found a frame whose pixels disagree
inline constexpr int kExitControl = 4;  // the daemon refused a --set (or could not save it)

struct ViewerOptions {
  HostPort target;
  std::optional<HttpUrl> url;  // an HTTP MJPEG stream instead of the native protocol
  std::string token;           // --token, --token-file or CAMSTREAM_TOKEN; empty for none
  bool tls = false;            // camstreams://, https:// or --tls
  bool no_display = false;
  bool print_fps = false;
  bool check_pattern = false;
  std::uint64_t frames = 0;  // 0 = until the stream ends or the window closes
  ReconnectSettings reconnect;
  // Put in front of every line printed on stdout (--print-fps, --check-pattern) when camview
  // shows several cameras, so the lines can be told apart; empty for one.
  std::string label;
  std::string snapshot_dir;  // for `s` and `r`; default_snapshot_dir() when empty
  std::string record;        // --record FILE: record from the first frame on
  // --set NAME=VALUE, in order, sent once the first connection stands; --persist saves them.
  std::vector<std::pair<std::string, std::string>> set;
  bool persist = false;
  // The native connection's controls (shared with each connection the feed makes); null over
  // HTTP.
  std::shared_ptr<ControlChannel> controls;
};

// A line for the user about something they asked for (saved, recording, and what failed).
struct Notice {
  std::string text;
  bool error = false;
  std::uint64_t at_us = 0;  // monotonic; 0 for none yet
};

// What the window title and messages call the stream: the URL, or HOST:PORT.
std::string source_name(const ViewerOptions& opt);

// Sets `camera`'s address from what the user typed: HOST[:PORT], camstreams://HOST[:PORT]
// (TLS), or an http:// or https:// URL; a camera already marked tls (--tls) keeps TLS. False
// with the whole sentence for the user in `error` (what is wrong, and an example).
bool set_target(std::string_view target, ViewerOptions& camera, std::string& error);

// One camera, from its connections to a decoded picture, with or without a window: the Feed
// (connections, reconnecting), decode, the pattern check, the figures, and what the user keeps
// (snapshots, the recording) with what camview says about them. start() starts the
// first connection, stop() ends it and joins its thread, the destructor stops. Lives on the
// main thread, which must call take() at least every 100 ms (reconnecting happens there).
class Viewer {
 public:
  Viewer(ViewerOptions opt, Feed::MakeLink make);
  ~Viewer();
  Viewer(const Viewer&) = delete;
  Viewer& operator=(const Viewer&) = delete;

  // Once.
  void start();
  // Safe to call more than once.
  void stop();

  enum class Outcome { kShow, kShowAndStop, kSkip };

  // The newest frame from the feed, if one came (see Feed::poll).
  std::optional<ReceivedFrame> take();
  // Decodes the frame. kSkip: it could not be decoded and image() holds nothing to show;
  // kShowAndStop: the last of --frames N.
  Outcome consume(ReceivedFrame frame);
  // The frame consumed last is on screen now.
  void presented();
  // Called often; prints (with --print-fps) and returns a summary once a second.
  std::optional<WindowFigures> tick();

  // The window's title: the source, then the size and rate once known, then the state.
  std::string title() const;
  // What the overlay shows for this camera, a line each.
  std::vector<std::string> overlay_lines() const;
  // What to say across the picture when it is not live ("reconnecting… why"); empty when live.
  std::string banner(std::uint64_t now_us) const;

  // A key of the camera's controls (keys.hpp: + - e E a A w o t S): asks the daemon for the
  // change, saying what it asked or why it cannot. False for any other key.
  bool control_key(char c);
  // The controls as the daemon last reported them, by name (the entries of GET /controls).
  const std::map<std::string, nlohmann::json>& controls() const { return controls_; }

  // `s`: saves the frame on screen as the JPEG that arrived, into the snapshot folder. The
  // outcome (the path, or why not) goes to notice() and stderr.
  void snapshot();
  // `r`: starts recording (into --record FILE the first time, else a new .mkv in the snapshot
  // folder) from the next frame on, or stops. The file is written on a thread of its own;
  // what it has to say (recorded, or why it stopped) reaches notice() at the next tick().
  void toggle_recording();
  bool recording() const { return recorder_.active() || !record_pending_.empty(); }
  const Notice& notice() const { return notice_; }
  // A picture was decoded and is still in image() (a failed decode spoils it).
  bool has_picture() const { return have_picture_; }

  const Feed& feed() const { return feed_; }
  const ViewerOptions& options() const { return opt_; }
  // --frames N were decoded, and the daemon answered --set.
  bool enough() const {
    return opt_.frames != 0 && decoded_ >= opt_.frames && set_results_pending_ == 0;
  }
  const Yuv420Image& image() const { return decoder_.image(); }
  std::uint64_t decoded() const { return decoded_; }
  std::uint64_t pattern_errors() const { return pattern_errors_; }

  // camview's exit code once its loop has ended: `enough` when --frames N were decoded,
  // `interrupted` on SIGINT or SIGTERM. The feed has logged why a stream failed; a failed
  // pattern check is logged here.
  int exit_code(bool enough, bool interrupted) const;

 private:
  void check(std::uint64_t seq, const Yuv420Image& img);
  std::int64_t since_capture(std::uint64_t local_us) const;
  void record(const ReceivedFrame& frame, std::uint64_t time_us);
  void say(std::string text, bool error);
  // Passes on what the recording's thread has said.
  void hear_recorder();
  std::string snapshot_dir() const;
  // Takes in what the daemon said about its controls.
  void hear_controls();
  void on_result(const nlohmann::json& result);
  void on_still(const ControlEvent& still);
  // The value of a control for the overlay ("Auto" for a menu's label), empty when unknown.
  std::string shown(const std::string& name) const;

  const ViewerOptions opt_;
  Feed feed_;
  FrameDecoder decoder_;
  ViewerStats stats_;
  std::uint64_t decoded_ = 0;
  std::uint64_t last_roll_us_;
  std::uint64_t pattern_errors_ = 0;
  int width_ = 0;
  int height_ = 0;
  double fps_ = 0;
  std::int64_t capture_local_us_ = -1;
  std::optional<WindowFigures> figures_;
  bool have_picture_ = false;
  ReceivedFrame last_;              // the frame on screen, as it arrived, for `s`
  std::uint64_t last_time_us_ = 0;  // its capture (else arrival) time on this machine's clock
  RecordingWriter recorder_;
  std::string recording_path_;
  std::string record_pending_;  // a recording to open with the next frame
  bool record_flag_used_ = false;
  Notice notice_;
  std::map<std::string, nlohmann::json> controls_;
  std::size_t set_results_pending_ = 0;  // --set requests not answered yet
  std::size_t set_refusals_ = 0;         // controls of --set refused, or a failed save
};

}  // namespace camstream
