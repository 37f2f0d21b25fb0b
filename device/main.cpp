// main.cpp - camstreamd: wires source -> encoders -> hub -> server and runs the event loop.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio.hpp>

#include "device/capture/libcamera_device.hpp"
#include "device/capture/source_factory.hpp"
#include "device/control/controls.hpp"
#include "device/encode/encoder_pool.hpp"
#include "device/figures.hpp"
#include "device/notify.hpp"
#include "device/options.hpp"
#include "device/pipeline_report.hpp"
#include "device/serve/hub.hpp"
#include "device/serve/server.hpp"
#include "device/serve/spare_fd.hpp"
#include "device/serve/tls.hpp"
#include "device/show_access.hpp"
#include "shared/crypto.hpp"
#include "shared/log.hpp"

using namespace camstream;

int main(int argc, char** argv) {
  log::set_program("camstreamd");
  // A client that vanishes must cost a failed write, not the process.
  std::signal(SIGPIPE, SIG_IGN);

  const ParseResult parsed = parse_daemon_options(std::vector<std::string>(argv, argv + argc));
  if (parsed.exit) {
    if (parsed.exit_code == 0) {
      std::cout << parsed.output << std::flush;
      return 0;
    }
    std::cerr << "camstreamd: error: " << parsed.output << std::flush;
    return 2;
  }
  const DaemonOptions& opt = parsed.options;
  log::set_level(opt.log_level);
  set_libcamera_log_level(opt.log_level == log::Level::kDebug ? "INFO" : "ERROR");

  if (opt.hash_password) {
    // A password read from stdin, not argv, where every user of the machine could see it.
    std::string password;
    std::getline(std::cin, password);
    if (password.empty()) {
      std::cerr << "camstreamd: error: no password on standard input; e.g. "
                   "printf '%s\\n' 'the password' | camstreamd --hash-password\n";
      return 2;
    }
    const std::string hash = crypto::hash_password(password);
    if (hash.empty()) {
      std::cerr << "camstreamd: error: no random source for the salt\n";
      return 1;
    }
    std::cout << hash << "\n";
    return 0;
  }
  if (opt.show_access) {
    // Reads the certificate the service made, never makes one: that is the service's to do,
    // as its own user, in its own state directory.
    std::optional<TlsIdentity> identity;
    std::string tls_note;
    if (opt.tls.mode != "off") {
      TlsIdentity id;
      if (read_tls_identity(tls_cert_file(opt.tls), id, tls_note)) {
        identity = id;
      } else {
        tls_note +=
            "; camstreamd makes it when it starts with --tls auto (start the service, then "
            "ask again)";
      }
    }
    std::cout << access_text(opt.listen, opt.credentials, reachable_names(opt.listen),
                             identity ? &*identity : nullptr);
    if (!tls_note.empty()) std::cout << "\nTLS: " << tls_note << "\n";
    std::cout << std::flush;
    return 0;
  }

  if (opt.list_cameras) {
    std::string listing, error;
    const int cameras = list_libcamera_cameras(listing, error);
    if (cameras < 0) {
      std::cerr << "camstreamd: error: " << error << "\n";
      return 1;
    }
    if (cameras == 0) {
      std::cerr
          << "camstreamd: error: no camera found; connect one (a Raspberry Pi camera needs its "
             "cable seated and the camera enabled) or use --source testpattern\n";
      return 1;
    }
    std::cout << listing << std::flush;
    return 0;
  }

  // Descriptors the daemon holds besides its clients: stdio, the listener, the reserve, the
  // event loop's, a camera's buffers and libcamera's own. Generous: a shortfall only means
  // refusing connections for a while, and the warning says so.
  constexpr std::size_t kOtherDescriptors = 64;
  std::string limit_warning;
  raise_open_file_limit(static_cast<std::size_t>(opt.max_clients) +
                            static_cast<std::size_t>(opt.max_handshakes) + kOtherDescriptors,
                        limit_warning);
  if (!limit_warning.empty()) log::warn(limit_warning);

  try {
    asio::io_context io(1);
    Hub hub;
    ServerLimits limits;
    limits.max_clients = opt.max_clients;
    limits.max_handshakes = opt.max_handshakes;
    limits.max_per_address = opt.max_per_address;
    limits.handshake_timeout =
        std::chrono::milliseconds(static_cast<long>(opt.handshake_timeout * 1000));
    limits.write_timeout = std::chrono::milliseconds(static_cast<long>(opt.write_timeout * 1000));
    Server server(io, hub, limits);
    Credentials credentials = opt.credentials;
    std::string run_token;  // made for this run when nobody gave credentials
    if (credentials.empty() && !is_loopback(opt.listen.host)) {
      if (opt.no_auth) {
        log::warn("NO AUTHENTICATION (--no-auth): anyone who reaches " + to_string(opt.listen) +
                  " may watch and steer the camera");
      } else {
        // Beyond this machine the camera is never open by accident: without credentials a
        // run gets a random token, shown once the port is known.
        run_token = crypto::random_token();
        if (run_token.empty()) {
          log::error("no random source to make a token; give --auth-token-file FILE");
          return 1;
        }
        credentials.control_tokens.push_back(run_token);
      }
    }
    server.set_access(Access(credentials));
    std::string error;
    // TLS: the certificate is loaded (or made) before anything is served, so a bad file stops
    // the daemon at once with its name.
    std::unique_ptr<TlsServer> tls;
    if (opt.tls.mode != "off") {
      TlsSettings settings = opt.tls;
      settings.names = reachable_names(opt.listen);
      for (const char* local : {"localhost", "127.0.0.1", "::1"}) {
        if (std::find(settings.names.begin(), settings.names.end(), local) == settings.names.end())
          settings.names.emplace_back(local);
      }
      tls = TlsServer::make(settings, error);
      if (!tls) {
        log::error(error);
        return 1;
      }
      server.set_tls(tls.get());
    }
    if (!server.listen(opt.listen, error)) {
      log::error(error);
      return 1;
    }
    EncoderPool encoders(opt.workers, opt.quality, hub);
    SourceRequest request;
    request.source = opt.source;
    request.camera = opt.camera;
    request.capture = CaptureSettings{opt.width, opt.height, opt.fps,     opt.hflip,
                                      opt.vflip, opt.rotate, opt.controls};
    request.noise = opt.noise;
    request.encoders = opt.workers;
    const std::unique_ptr<FrameSource> source = open_source(request, hub.demand(), error);
    if (!source) {
      log::error(error);
      return 1;
    }

    hub.set_listener([&io, &server](const EncodedFramePtr& frame) {
      asio::post(io, [&server, frame] { server.deliver(frame); });
    });
    const PipelineReport report(*source, encoders, hub, PipelineSettings{opt.workers});
    server.set_pipeline_figures(&report);
    // The control API: quality, rate, size and the camera's own controls, live.
    Controls controls(*source, encoders, opt.config_path);
    server.set_controls(&controls);
    // Sessions leave the controls' listeners when they close, which the server's destructor
    // does after `controls` is gone when an exception unwinds this scope: it forgets them first.
    struct ForgetControls {
      Server& server;
      ~ForgetControls() { server.set_controls(nullptr); }
    } forget_controls{server};

    // Scripts read this line to learn the port when --listen 0 was given.
    std::printf("listening on %s\n", to_string(server.local_address()).c_str());
    std::fflush(stdout);
    if (!run_token.empty()) {
      const HostPort bound{opt.listen.host, server.local_address().port};
      const std::string name = reachable_names(bound).front();
      log::info("no credentials given, so this run needs the token " + run_token +
                " (keep one across restarts with --auth-token-file FILE). Watch at http://" +
                to_string(HostPort{name, bound.port}) + "/?token=" + run_token +
                " or with: camview --token " + run_token + " " +
                to_string(HostPort{name, bound.port}));
    }
    if (tls) {
      const TlsIdentity& id = tls->identity();
      log::info("TLS on the same port (https://, camstreams://), certificate " + id.cert_file +
                ", SHA-256 fingerprint " + id.fingerprint + " (camview --pin " + id.fingerprint +
                "; curl --pinnedpubkey sha256//" + id.public_key_pin + ")");
    }
    char rate[32];
    std::snprintf(rate, sizeof rate, "%g fps", opt.fps);
    log::info("serving " + source->describe() + " at " + (opt.fps > 0 ? rate : "full speed") +
              ", quality " + std::to_string(opt.quality) + ", " + std::to_string(opt.workers) +
              " encoder(s)");

    encoders.start();
    source->start(encoders);
    server.start();

    // Under systemd (Type=notify): ready once serving; the watchdog is fed from a timer that
    // checks frames still flow (see FrameWatchdog), at a quarter of systemd's timeout so one
    // quiet tick is never fatal.
    std::string notify_warning;
    const SystemdNotifier notifier = SystemdNotifier::from_environment(notify_warning);
    if (!notify_warning.empty()) log::warn(notify_warning);
    if (!notifier.send("READY=1\nSTATUS=serving on " + to_string(server.local_address()), error))
      log::warn(error);
    asio::steady_timer watchdog_timer(io);
    FrameWatchdog frame_watchdog;
    std::function<void()> schedule_watchdog = [&] {
      if (notifier.watchdog_timeout().count() <= 0) return;
      watchdog_timer.expires_after(notifier.watchdog_timeout() / 4);
      watchdog_timer.async_wait([&](std::error_code ec) {
        if (ec) return;
        const bool wanted = hub.demand().watchers() > 0 || hub.demand().request_pending();
        if (frame_watchdog.progressed(wanted, source->stats().captured, encoders.stats().encoded)) {
          std::string watchdog_error;
          if (!notifier.send("WATCHDOG=1", watchdog_error)) log::warn(watchdog_error);
        } else {
          log::warn(
              "no frame captured and encoded since the last watchdog tick; systemd "
              "restarts the service if this goes on");
        }
        schedule_watchdog();
      });
    };
    schedule_watchdog();

    asio::steady_timer stats_timer(io);
    Figures previous;  // each --stats line gives stage times over its own interval
    std::function<void()> schedule_stats = [&] {
      if (opt.stats_interval <= 0) return;
      stats_timer.expires_after(
          std::chrono::milliseconds(static_cast<long>(opt.stats_interval * 1000)));
      stats_timer.async_wait([&](std::error_code ec) {
        if (ec) return;
        Figures now = server.figures();
        log::info(figures_log_line(now, previous));
        previous = std::move(now);
        schedule_stats();
      });
    };
    schedule_stats();

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](std::error_code ec, int signo) {
      if (ec) return;
      log::info(std::string("stopping on ") + (signo == SIGINT ? "SIGINT" : "SIGTERM"));
      source->stop();
      encoders.stop();
      hub.set_listener({});
      hub.cancel_all_requests();
      server.stop();
      stats_timer.cancel();
      watchdog_timer.cancel();
      std::string notify_error;
      notifier.send("STOPPING=1", notify_error);
    });

    io.run();
    log::info(figures_log_line(server.figures(), previous));
    return 0;
  } catch (const std::exception& e) {
    log::error(std::string("stopped by an unexpected error: ") + e.what());
    return 1;
  }
}
