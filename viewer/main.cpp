// main.cpp - camview: reads the options and wires connection -> mailbox -> Viewer -> display.
#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "shared/address.hpp"
#include "shared/log.hpp"
#include "shared/text.hpp"
#include "shared/version.hpp"
#include "viewer/display/display.hpp"
#include "viewer/main_loop.hpp"
#include "viewer/net/connect.hpp"
#include "viewer/net/http_url.hpp"
#include "viewer/viewer.hpp"

using namespace camstream;

namespace {

std::atomic<bool> g_interrupted{false};

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
  std::string token_file;
  app.add_option("--token", opt.token,
                 "The token a camstreamd asks for (camstreamd --show-access prints it); also "
                 "CAMSTREAM_TOKEN. Native: proved without being sent; HTTP: a Bearer token");
  app.add_option("--token-file", token_file, "Read the token from the first line of this file")
      ->excludes("--token");
  bool no_reconnect = false;
  app.add_flag("--no-reconnect", no_reconnect,
               "Exit (1) when the stream ends instead of reconnecting, as scripts want");
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
  if (!token_file.empty()) {
    std::ifstream in(token_file);
    std::string line;
    if (!in || !std::getline(in, line) || text::trim(line).empty()) {
      std::cerr << "camview: error: cannot read a token from " << token_file
                << "; check that the file exists, is readable and has the token on its first "
                   "line\n";
      return kExitUsage;
    }
    opt.token = std::string(text::trim(line));
  } else if (opt.token.empty()) {
    if (const char* env = std::getenv("CAMSTREAM_TOKEN")) opt.token = env;
  }
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

  opt.reconnect.enabled = !no_reconnect;

  std::signal(SIGINT, [](int) { g_interrupted.store(true); });
  std::signal(SIGTERM, [](int) { g_interrupted.store(true); });

  if (opt.no_display) {
    Doorbell doorbell;
    Viewer viewer(opt, link_maker(opt.target, opt.url, opt.token, doorbell.notifier()));
    return run_headless({&viewer}, doorbell, g_interrupted);
  }
  Display display;
  FrameWakeup wakeup;
  if (!display.init(error) || !wakeup.init(error)) {
    log::error(error);
    return kExitStream;
  }
  Viewer viewer(opt, link_maker(opt.target, opt.url, opt.token, wakeup.notifier()));
  return run_window(viewer, display, wakeup, g_interrupted);
}
