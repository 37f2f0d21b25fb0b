// main.cpp - camview: reads the options and wires connection -> mailbox -> Viewer -> display.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "shared/address.hpp"
#include "shared/log.hpp"
#include "shared/text.hpp"
#include "shared/tls_trust.hpp"
#include "shared/version.hpp"
#include "viewer/display/display.hpp"
#include "viewer/keys.hpp"
#include "viewer/main_loop.hpp"
#include "viewer/net/connect.hpp"
#include "viewer/net/http_url.hpp"
#include "viewer/net/tls_client.hpp"
#include "viewer/viewer.hpp"

using namespace camstream;

namespace {

std::atomic<bool> g_interrupted{false};

}  // namespace

int main(int argc, char** argv) {
  log::set_program("camview");
  std::signal(SIGPIPE, SIG_IGN);

  ViewerOptions opt;
  std::vector<std::string> targets;
  std::string log_level = "info";
  WindowOptions window;
  WindowSettings settings;
  CLI::App app{"camview - shows the live stream of a camstreamd, or of several in a grid",
               "camview"};
  app.set_version_flag("--version", std::string("camview ") + kVersion);
  app.footer(key_help_text());
  app.add_option("target", targets,
                 "HOST[:PORT] of a camstreamd (default port 8080), camstreams://HOST[:PORT] for "
                 "one with TLS, or the http:// or https:// URL of an MJPEG stream (camstreamd's "
                 "/stream, ustreamer, mjpg-streamer, ffmpeg); several make a grid")
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
  bool tls = false;
  TlsTrust trust;
  std::string pin;
  app.add_flag("--tls", tls,
               "Connect with TLS (camstreamd --tls auto), as camstreams:// and https:// do");
  app.add_option("--ca", trust.ca_file,
                 "Trust the server's certificate when this CA (PEM) signed it and it names the "
                 "host; implies --tls")
      ->check(CLI::ExistingFile);
  app.add_option("--pin", pin,
                 "Trust only the certificate with this SHA-256 fingerprint (camstreamd "
                 "--show-access prints it); implies --tls")
      ->excludes("--ca");
  trust.known_hosts = KnownHosts::default_path();
  app.add_option("--known-hosts", trust.known_hosts,
                 "Without --ca or --pin, trust a server's certificate on first use and remember "
                 "it here, refusing it if it changes, like ssh")
      ->capture_default_str();
  bool no_reconnect = false;
  app.add_flag("--no-reconnect", no_reconnect,
               "Exit (1) when the stream ends instead of reconnecting, as scripts want");
  app.add_option("--snapshot-dir", opt.snapshot_dir,
                 "Where s saves snapshots and r recordings (default: your Pictures folder, "
                 "as XDG names it)");
  app.add_option("--record", opt.record,
                 "Record the stream's JPEGs, as they arrived, into this .mkv (Matroska) or "
                 ".avi file from the first frame; r stops and starts again");
  app.add_flag("--overlay", settings.overlay,
               "Start with the overlay on (state, size, fps, kbit/s, latency, losses); i "
               "toggles it");
  app.add_option("--window-title", settings.title, "The window's title, before the state");
  app.add_flag("--fullscreen", window.fullscreen,
               "Start fullscreen; f, F11 or a double-click "
               "toggle it");
  app.add_flag("--always-on-top", window.always_on_top, "Keep the window above the others");
  std::vector<std::string> sets;
  app.add_option("--set", sets,
                 "NAME=VALUE: change a control of the camstreamd once connected (repeatable; "
                 "GET /controls lists them), print what was applied and report refusals; "
                 "native protocol only. With --frames, camview waits for the answer; a refusal "
                 "makes it exit 4")
      ->type_name("NAME=VALUE");
  app.add_flag("--persist", opt.persist,
               "With --set: the daemon also saves the values to its config file");
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
  if (!pin.empty()) {
    const auto normalized = normalize_fingerprint(pin);
    if (!normalized) {
      std::cerr << "camview: error: --pin takes a SHA-256 fingerprint (64 hex digits, with or "
                   "without colons), as camstreamd --show-access prints it\n";
      return kExitUsage;
    }
    trust.pin = *normalized;
  }
  for (const std::string& s : sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "camview: error: --set takes NAME=VALUE, e.g. --set quality=20 (not '" << s
                << "')\n";
      return kExitUsage;
    }
    opt.set.emplace_back(s.substr(0, eq), s.substr(eq + 1));
  }
  if (opt.persist && opt.set.empty()) {
    std::cerr << "camview: error: --persist saves what --set changes; give --set NAME=VALUE too\n";
    return kExitUsage;
  }
  opt.tls = tls || !trust.ca_file.empty() || !trust.pin.empty();
  opt.reconnect.enabled = !no_reconnect;
  if (!opt.record.empty() && targets.size() > 1) {
    std::cerr << "camview: error: --record takes one camera; with several, press r in the "
                 "window to record each into --snapshot-dir\n";
    return kExitUsage;
  }
  // One set of options per camera, each with its own address.
  std::vector<ViewerOptions> cameras;
  for (const std::string& target : targets) {
    ViewerOptions camera = opt;
    if (!set_target(target, camera, error)) {
      std::cerr << "camview: error: " << error << "\n";
      return kExitUsage;
    }
    if (targets.size() > 1) camera.label = source_name(camera) + ": ";
    // Controls travel over the native protocol only; an HTTP stream has none.
    if (!camera.url) {
      camera.controls = std::make_shared<ControlChannel>();
    } else if (!camera.set.empty()) {
      std::cerr << "camview: error: --set works over the native protocol only; give "
                   "HOST[:PORT] or camstreams://HOST[:PORT] instead of "
                << target << " (or POST /controls with curl)\n";
      return kExitUsage;
    }
    cameras.push_back(std::move(camera));
  }
  // One TLS context for every camera that asks for TLS.
  std::shared_ptr<TlsClient> tls_client;
  if (std::any_of(cameras.begin(), cameras.end(), [](const ViewerOptions& c) { return c.tls; })) {
    tls_client = TlsClient::make(trust, error);
    if (!tls_client) {
      std::cerr << "camview: error: " << error << "\n";
      return kExitUsage;
    }
  }
  std::signal(SIGINT, [](int) { g_interrupted.store(true); });
  std::signal(SIGTERM, [](int) { g_interrupted.store(true); });

  // Each viewer's links call `notify` from their own threads; the viewers live until the end.
  const auto make_viewers = [&](const std::function<void()>& notify) {
    std::vector<std::unique_ptr<Viewer>> viewers;
    for (const ViewerOptions& c : cameras) {
      viewers.push_back(
          std::make_unique<Viewer>(c, link_maker(c.target, c.url, c.token, notify, {},
                                                 c.tls ? tls_client : nullptr, c.controls)));
    }
    return viewers;
  };
  const auto pointers = [](const std::vector<std::unique_ptr<Viewer>>& viewers) {
    std::vector<Viewer*> out;
    for (const auto& v : viewers)
      out.push_back(v.get());
    return out;
  };
  if (opt.no_display) {
    Doorbell doorbell;
    const auto viewers = make_viewers(doorbell.notifier());
    return run_headless(pointers(viewers), doorbell, g_interrupted);
  }
  Display display;
  FrameWakeup wakeup;
  window.title = settings.title.empty() ? "camview" : settings.title;
  if (!display.init(window, static_cast<int>(cameras.size()), error) || !wakeup.init(error)) {
    log::error(error);
    return kExitStream;
  }
  const auto viewers = make_viewers(wakeup.notifier());
  return run_window(pointers(viewers), display, wakeup, settings, g_interrupted);
}
