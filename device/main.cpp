// main.cpp - camstreamd: wires source -> encoders -> hub -> server and runs the event loop.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <asio.hpp>

#include "device/capture/test_pattern.hpp"
#include "device/encode/encoder_pool.hpp"
#include "device/options.hpp"
#include "device/serve/hub.hpp"
#include "device/serve/server.hpp"
#include "shared/log.hpp"

using namespace camstream;

namespace {

std::string format_stats(const SourceStats& src, const EncoderStats& enc, const Hub& hub,
                         const ServerStats& srv) {
  using ull = unsigned long long;
  const double avg_encode_ms = enc.encoded ? static_cast<double>(enc.encode_us_total) / 1000.0 /
                                                 static_cast<double>(enc.encoded)
                                           : 0;
  char buf[400];
  std::snprintf(buf, sizeof buf,
                "captured %llu, dropped %llu (encoders busy %llu), encoded %llu (%.2f ms each), "
                "failed %llu, late %llu; clients %zu, frames sent %llu, skipped %llu, "
                "connections refused %llu",
                ull{src.captured}, ull{src.dropped}, ull{enc.refused}, ull{enc.encoded},
                avg_encode_ms, ull{enc.failed}, ull{hub.dropped_late()}, srv.clients,
                ull{srv.frames_sent}, ull{srv.frames_skipped}, ull{srv.rejected});
  return buf;
}

}  // namespace

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

  try {
    asio::io_context io(1);
    Hub hub;
    Server server(io, hub);
    std::string error;
    if (!server.listen(opt.listen, error)) {
      log::error(error);
      return 1;
    }
    EncoderPool encoders(opt.workers, opt.quality, hub);
    // Buffers: one per encoder plus one being drawn and one spare.
    TestPattern source(opt.width, opt.height, opt.fps, opt.workers + 2);

    hub.set_listener([&io, &server](const EncodedFramePtr& frame) {
      asio::post(io, [&server, frame] { server.deliver(frame); });
    });

    // Scripts read this line to learn the port when --listen 0 was given.
    std::printf("listening on %s\n", to_string(server.local_address()).c_str());
    std::fflush(stdout);
    char rate[32];
    std::snprintf(rate, sizeof rate, "%g fps", opt.fps);
    log::info("serving " + source.describe() + " at " + (opt.fps > 0 ? rate : "full speed") +
              ", quality " + std::to_string(opt.quality) + ", " + std::to_string(opt.workers) +
              " encoder(s)");

    encoders.start();
    source.start(encoders);
    server.start();

    asio::steady_timer stats_timer(io);
    std::function<void()> schedule_stats = [&] {
      if (opt.stats_interval <= 0) return;
      stats_timer.expires_after(
          std::chrono::milliseconds(static_cast<long>(opt.stats_interval * 1000)));
      stats_timer.async_wait([&](std::error_code ec) {
        if (ec) return;
        log::info(format_stats(source.stats(), encoders.stats(), hub, server.stats()));
        schedule_stats();
      });
    };
    schedule_stats();

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](std::error_code ec, int signo) {
      if (ec) return;
      log::info(std::string("stopping on ") + (signo == SIGINT ? "SIGINT" : "SIGTERM"));
      source.stop();
      encoders.stop();
      hub.set_listener({});
      server.stop();
      stats_timer.cancel();
    });

    io.run();
    log::info(format_stats(source.stats(), encoders.stats(), hub, server.stats()));
    return 0;
  } catch (const std::exception& e) {
    log::error(std::string("stopped by an unexpected error: ") + e.what());
    return 1;
  }
}
