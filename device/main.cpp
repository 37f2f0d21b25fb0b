// main.cpp - camstreamd: wires source -> encoders -> hub -> server and runs the event loop.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <asio.hpp>

#include "device/capture/camera_source.hpp"
#include "device/capture/libcamera_device.hpp"
#include "device/capture/test_pattern.hpp"
#include "device/encode/encoder_pool.hpp"
#include "device/notify.hpp"
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
  char buf[480];
  std::snprintf(buf, sizeof buf,
                "captured %llu, dropped %llu (encoders busy %llu), over the frame rate %llu, "
                "encoded %llu (%.2f ms each), "
                "failed %llu, late %llu; clients %zu, frames sent %llu, skipped %llu, "
                "connections refused %llu",
                ull{src.captured}, ull{src.dropped}, ull{enc.refused}, ull{src.over_rate},
                ull{enc.encoded}, avg_encode_ms, ull{enc.failed}, ull{hub.dropped_late()},
                srv.clients, ull{srv.frames_sent}, ull{srv.frames_skipped}, ull{srv.rejected});
  return buf;
}

// Per-stage times over each stats interval: the snapshots of the previous line are kept so a
// line describes its own interval, not the whole run.
class StageLine {
 public:
  std::string next(const EncoderStats& enc, const StageTimes& send_times) {
    const StageTimes::Snapshot send = send_times.snapshot();
    const auto q = enc.queue.since(queue_);
    const auto e = enc.encode.since(encode_);
    const auto s = send.since(send_);
    queue_ = enc.queue;
    encode_ = enc.encode;
    send_ = send;
    char buf[300];
    std::snprintf(buf, sizeof buf,
                  "stage times p50/p99: queue %.2f/%.2f ms, encode %.2f/%.2f ms, send "
                  "%.2f/%.2f ms (%llu writes)",
                  q.percentile_ms(0.5), q.percentile_ms(0.99), e.percentile_ms(0.5),
                  e.percentile_ms(0.99), s.percentile_ms(0.5), s.percentile_ms(0.99),
                  static_cast<unsigned long long>(s.count));
    return buf;
  }

 private:
  StageTimes::Snapshot queue_, encode_, send_;
};

// What HTTP /status and /metrics report about capture and encoding; read on the server's loop.
class PipelineFigures final : public StatsProvider {
 public:
  PipelineFigures(const FrameSource& source, const EncoderPool& encoders, const Hub& hub,
                  const DaemonOptions& opt)
      : source_(source), encoders_(encoders), hub_(hub), opt_(opt) {}

  PipelineStats pipeline() const override {
    PipelineStats p;
    p.source = source_.describe();
    // The size actually streamed, once there is a frame; until then the source's, which for a
    // camera is the size it chose (not always --size).
    const EncodedFramePtr latest = hub_.latest();
    p.width = latest ? latest->header.width : source_.width();
    p.height = latest ? latest->header.height : source_.height();
    p.target_fps = opt_.fps;
    p.quality = opt_.quality;
    p.workers = opt_.workers;
    const SourceStats src = source_.stats();
    const EncoderStats enc = encoders_.stats();
    p.captured = src.captured;
    p.dropped = src.dropped;
    p.over_rate = src.over_rate;
    p.encoded = enc.encoded;
    p.encode_failed = enc.failed;
    p.late = hub_.dropped_late();
    p.encode_us_total = enc.encode_us_total;
    const auto stage = [](const StageTimes::Snapshot& t) {
      return PipelineStats::Stage{t.count, static_cast<double>(t.total_us) / 1e6,
                                  t.percentile_ms(0.5), t.percentile_ms(0.99)};
    };
    p.queue = stage(enc.queue);
    p.encode = stage(enc.encode);
    if (send_times_ != nullptr) p.send = stage(send_times_->snapshot());
    return p;
  }

  // The server's frame write times; set once the server exists.
  void set_send_times(const StageTimes* send_times) { send_times_ = send_times; }

 private:
  const FrameSource& source_;
  const EncoderPool& encoders_;
  const Hub& hub_;
  const DaemonOptions& opt_;
  const StageTimes* send_times_ = nullptr;
};

// The source --source asks for. auto takes the first camera when libcamera finds one, else
// the test pattern with a warning; libcamera insists on a camera. Null with a sentence in
// `error` when the camera asked for cannot be used (none, busy, a setting it refuses).
std::unique_ptr<FrameSource> open_source(const DaemonOptions& opt, Demand& demand,
                                         std::string& error) {
  bool camera = opt.source == "libcamera";
  if (opt.source == "auto") {
    std::string listing, why;
    const int cameras = libcamera_built_in() ? list_libcamera_cameras(listing, why) : -1;
    camera = cameras > 0;
    if (!camera) {
      log::warn(
          std::string(cameras < 0 ? "this build has no libcamera support" : "no camera found") +
          "; serving the test pattern instead (--source testpattern says so quietly)");
    }
  }
  if (camera) {
    std::unique_ptr<CameraDevice> device = make_libcamera_device(opt.camera, error);
    if (!device) return nullptr;
    CameraSourceOptions co;
    co.settings = CaptureSettings{opt.width, opt.height, opt.fps,     opt.hflip,
                                  opt.vflip, opt.rotate, opt.controls};
    // A slow frame rate must not pass for a stalled camera.
    if (opt.fps > 0)
      co.stall_timeout =
          std::max(co.stall_timeout, std::chrono::milliseconds(static_cast<long>(3000 / opt.fps)));
    auto source = std::make_unique<CameraSource>(std::move(device), co);
    source->set_demand(&demand);
    if (!source->open(error)) return nullptr;
    return source;
  }
  // Buffers: one per encoder plus one being drawn and one spare.
  auto pattern = std::make_unique<TestPattern>(opt.width, opt.height, opt.fps, opt.workers + 2);
  pattern->set_noise(opt.noise);
  // Frames are drawn and encoded only while a client streams or a snapshot asks for one.
  pattern->set_demand(&demand);
  return pattern;
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
  set_libcamera_log_level(opt.log_level == log::Level::kDebug ? "INFO" : "ERROR");

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
    const std::unique_ptr<FrameSource> source = open_source(opt, hub.demand(), error);
    if (!source) {
      log::error(error);
      return 1;
    }

    hub.set_listener([&io, &server](const EncodedFramePtr& frame) {
      asio::post(io, [&server, frame] { server.deliver(frame); });
    });
    PipelineFigures pipeline_figures(*source, encoders, hub, opt);
    pipeline_figures.set_send_times(&server.send_times());
    server.set_stats_provider(&pipeline_figures);

    // Scripts read this line to learn the port when --listen 0 was given.
    std::printf("listening on %s\n", to_string(server.local_address()).c_str());
    std::fflush(stdout);
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
    StageLine stage_line;
    std::function<void()> schedule_stats = [&] {
      if (opt.stats_interval <= 0) return;
      stats_timer.expires_after(
          std::chrono::milliseconds(static_cast<long>(opt.stats_interval * 1000)));
      stats_timer.async_wait([&](std::error_code ec) {
        if (ec) return;
        const EncoderStats enc = encoders.stats();
        log::info(format_stats(source->stats(), enc, hub, server.stats()) + "; " +
                  stage_line.next(enc, server.send_times()));
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
    const EncoderStats enc = encoders.stats();
    log::info(format_stats(source->stats(), enc, hub, server.stats()) + "; " +
              stage_line.next(enc, server.send_times()));
    return 0;
  } catch (const std::exception& e) {
    log::error(std::string("stopped by an unexpected error: ") + e.what());
    return 1;
  }
}
