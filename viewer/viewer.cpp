// viewer.cpp - decode and check each frame, keep the figures, start and stop the connection.
#include "viewer/viewer.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string_view>

#include "shared/clock.hpp"
#include "shared/log.hpp"
#include "shared/seqcode.hpp"
#include "viewer/save/snapshot.hpp"

namespace camstream {
namespace {

// A time on this machine's monotonic clock as wall-clock microseconds, for file names.
std::int64_t wall_us_of(std::uint64_t monotonic) {
  const auto wall = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  return wall - (static_cast<std::int64_t>(monotonic_us()) - static_cast<std::int64_t>(monotonic));
}

std::string format(const char* fmt, double a, double b = 0) {
  char buf[96];
  std::snprintf(buf, sizeof buf, fmt, a, b);
  return buf;
}

}  // namespace

std::string source_name(const ViewerOptions& opt) {
  if (opt.url) return to_string(*opt.url);
  return (opt.tls ? "camstreams://" : "") + to_string(opt.target);
}

bool set_target(std::string_view target, ViewerOptions& camera, std::string& error) {
  std::string why;
  // Appended piece by piece: "literal" + std::string trips GCC 12's -Wrestrict at -O3.
  std::string quoted(1, '\'');
  quoted += target;
  quoted += "': ";
  if (is_camstreams_url(target)) {
    const auto parsed = parse_camstreams_url(target, why);
    if (!parsed) {
      error = "bad address " + quoted + why + "; e.g. camstreams://raspberrypi.local:8080";
      return false;
    }
    camera.target = *parsed;
    camera.tls = true;
  } else if (looks_like_url(target)) {
    camera.url = parse_http_url(target, why);
    if (!camera.url) {
      error = "bad URL " + quoted + why + "; e.g. http://raspberrypi.local:8080/stream";
      return false;
    }
    camera.target = camera.url->server;
    camera.url->tls = camera.url->tls || camera.tls;
    camera.tls = camera.url->tls;
  } else {
    const auto parsed = parse_target(target, why);
    if (!parsed) {
      error = "bad address " + quoted + why + "; give HOST[:PORT], e.g. raspberrypi.local:8080";
      return false;
    }
    camera.target = *parsed;
  }
  return true;
}

Viewer::Viewer(ViewerOptions opt, Feed::MakeLink make)
    : opt_(std::move(opt)),
      feed_(source_name(opt_), std::move(make), opt_.reconnect),
      stats_(monotonic_us()),
      last_roll_us_(monotonic_us()) {}

Viewer::~Viewer() {
  stop();
}

void Viewer::start() {
  if (opt_.controls && !opt_.set.empty()) {
    nlohmann::json values = nlohmann::json::object();
    // As text, the form --control takes: the daemon reads it for the control's own type.
    for (const auto& [name, value] : opt_.set)
      values[name] = value;
    opt_.controls->set(values, opt_.persist);
    set_results_pending_ = 1;
  }
  feed_.start(monotonic_us());
}

void Viewer::stop() {
  feed_.stop();
  recorder_.finish();
  hear_recorder();
}

std::optional<ReceivedFrame> Viewer::take() {
  hear_controls();
  return feed_.poll(monotonic_us());
}

void Viewer::hear_controls() {
  if (!opt_.controls) return;
  for (ControlEvent& e : opt_.controls->take_events()) {
    switch (e.kind) {
      case ControlEvent::Kind::kList:
        controls_.clear();
        if (e.json.contains("controls") && e.json["controls"].is_array()) {
          for (const nlohmann::json& entry : e.json["controls"]) {
            if (entry.is_object() && entry.contains("name") && entry["name"].is_string())
              controls_[entry["name"].get<std::string>()] = entry;
          }
        }
        log::debug(opt_.label + source_name(opt_) + " offers " + std::to_string(controls_.size()) +
                   " controls");
        break;
      case ControlEvent::Kind::kResult:
        on_result(e.json);
        break;
      case ControlEvent::Kind::kChanged:
        for (const auto& [name, value] : e.json.items()) {
          if (const auto it = controls_.find(name); it != controls_.end())
            it->second["value"] = value;
          log::info(opt_.label + "control changed: " + name + "=" + value.dump());
        }
        break;
      case ControlEvent::Kind::kStill:
        on_still(e);
        break;
      case ControlEvent::Kind::kStillError:
        say("no full-size still: " + e.text, true);
        break;
    }
  }
}

void Viewer::on_result(const nlohmann::json& result) {
  // The first result answers --set, which went before anything a key asked.
  const bool from_flag = set_results_pending_ > 0;
  if (from_flag) --set_results_pending_;
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& applied = result.contains("applied") ? result["applied"] : empty;
  const nlohmann::json& refused = result.contains("refused") ? result["refused"] : empty;
  std::string summary;
  for (const auto& [name, value] : applied.items()) {
    if (from_flag) {
      std::printf("%sset %s=%s\n", opt_.label.c_str(), name.c_str(), value.dump().c_str());
      std::fflush(stdout);
    }
    summary += (summary.empty() ? "" : ", ") + name + " " + value.dump();
  }
  std::string problems;
  for (const auto& [name, reason] : refused.items()) {
    const std::string why = reason.is_string() ? reason.get<std::string>() : reason.dump();
    log::error(opt_.label + source_name(opt_) + " refused " + name + ": " + why);
    problems += (problems.empty() ? "" : "; ") + name + ": " + why;
    if (from_flag) ++set_refusals_;
  }
  if (result.contains("save_error") && result["save_error"].is_string()) {
    const std::string why = result["save_error"].get<std::string>();
    log::error(opt_.label + source_name(opt_) + " applied but could not save the change: " + why);
    problems += (problems.empty() ? "" : "; ") + ("not saved: " + why);
    if (from_flag) ++set_refusals_;
  }
  if (!problems.empty()) {
    notice_ = Notice{"refused " + problems, true, monotonic_us()};
  } else if (!summary.empty()) {
    notice_ = Notice{"set " + summary, false, monotonic_us()};
  }
}

void Viewer::on_still(const ControlEvent& still) {
  std::string error;
  const auto path = save_new_file(
      snapshot_dir(), capture_stem(source_name(opt_), wall_us_of(monotonic_us())) + "-full.jpg",
      still.jpeg, error);
  if (!path) return say(error, true);
  say("saved the full-size still (" + std::to_string(still.header.width) + "x" +
          std::to_string(still.header.height) + ") as " + *path,
      false);
}

namespace {

// The entry's menu item for `value`, or -1.
int menu_index(const nlohmann::json& entry, const nlohmann::json& value) {
  if (!entry.contains("menu") || !entry["menu"].is_array()) return -1;
  const nlohmann::json& menu = entry["menu"];
  for (std::size_t i = 0; i < menu.size(); ++i) {
    if (menu[i].is_object() && menu[i].contains("value") && menu[i]["value"] == value)
      return static_cast<int>(i);
  }
  return -1;
}

double number_or(const nlohmann::json& entry, const char* key, double fallback) {
  if (entry.contains(key) && entry[key].is_number()) return entry[key].get<double>();
  return fallback;
}

}  // namespace

std::string Viewer::shown(const std::string& name) const {
  const auto it = controls_.find(name);
  if (it == controls_.end() || !it->second.contains("value")) return {};
  const nlohmann::json& entry = it->second;
  const nlohmann::json& value = entry["value"];
  if (const int i = menu_index(entry, value); i >= 0 && entry["menu"][i].contains("label")) {
    const nlohmann::json& label = entry["menu"][i]["label"];
    if (label.is_string()) return label.get<std::string>();
  }
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) return format("%.3g", value.get<double>());
  return value.dump();
}

bool Viewer::control_key(char c) {
  static constexpr std::string_view kKeys = "+=-eEaAwotS";
  if (kKeys.find(c) == std::string_view::npos) return false;
  if (!opt_.controls) {
    say("controls need the native protocol; " + source_name(opt_) + " is an HTTP stream", true);
    return true;
  }
  if (c == 'S') {
    opt_.controls->request_still();
    say("asked for a full-size still", false);
    return true;
  }
  const auto find = [this](const std::string& name) -> const nlohmann::json* {
    const auto it = controls_.find(name);
    if (it == controls_.end() || it->second.contains("read_only")) return nullptr;
    return &it->second;
  };
  std::string name;
  if (c == '+' || c == '=' || c == '-') {
    name = "quality";
  } else if (c == 'e' || c == 'E') {
    name = "ExposureTime";
  } else if (c == 'a' || c == 'A') {
    name = "AnalogueGain";
  } else if (c == 'w') {
    name = "AwbMode";
  } else if (c == 'o') {
    name = "AfMode";
  } else {
    name = "AfTrigger";
  }
  const nlohmann::json* entry = find(name);
  if (entry == nullptr) {
    say(source_name(opt_) + " offers no " + name + " to change" +
            (controls_.empty() ? " (no controls heard from it yet)" : ""),
        true);
    return true;
  }
  const nlohmann::json current = entry->value("value", nlohmann::json());
  nlohmann::json change = nlohmann::json::object();
  if (name == "quality") {
    const double q = current.is_number() ? current.get<double>() : 80;
    const double lo = number_or(*entry, "min", 1), hi = number_or(*entry, "max", 100);
    change[name] = static_cast<int>(std::clamp(q + (c == '-' ? -10 : 10), lo, hi));
  } else if (name == "ExposureTime" || name == "AnalogueGain") {
    // Steps of a third of a stop or so either way; manual exposure needs the AE off.
    const double factor = name == "ExposureTime" ? 1.5 : 1.25;
    const bool up = c == 'E' || c == 'A';
    const double lo = number_or(*entry, "min", 0), hi = number_or(*entry, "max", 1e9);
    double v = current.is_number() ? current.get<double>() : std::max(lo, 1.0);
    if (v <= 0) v = std::max(lo, 1.0);
    v = std::clamp(up ? v * factor : v / factor, lo, hi);
    if (entry->value("type", "") == "integer") {
      change[name] = static_cast<long long>(v);
    } else {
      change[name] = v;
    }
    if (find("AeEnable") != nullptr) change["AeEnable"] = false;
  } else if (name == "AfTrigger") {
    change[name] = 0;  // libcamera's AfTriggerStart
  } else {
    // A menu: the next item, round.
    if (!entry->contains("menu") || !(*entry)["menu"].is_array() || (*entry)["menu"].empty()) {
      say(name + " has no menu to cycle through", true);
      return true;
    }
    const nlohmann::json& menu = (*entry)["menu"];
    const int i = menu_index(*entry, current);
    change[name] = menu[static_cast<std::size_t>(i + 1) % menu.size()]["value"];
  }
  opt_.controls->set(change);
  say("asking for " + change.dump(), false);
  return true;
}

Viewer::Outcome Viewer::consume(ReceivedFrame frame) {
  const std::uint64_t decode_start_us = monotonic_us();
  have_picture_ = false;
  if (!decoder_.decode(frame)) {
    log::warn("skipping frame " + std::to_string(frame.header.seq) + ": " + decoder_.error());
    return Outcome::kSkip;
  }
  const std::uint64_t decoded_us = monotonic_us();
  std::int64_t offset = 0;
  // Capture time on the viewer's clock; unknown (-1) until the first pong.
  capture_local_us_ = -1;
  if (feed_.clock_offset(offset))
    capture_local_us_ = static_cast<std::int64_t>(frame.header.capture_us) - offset;
  stats_.frame(since_capture(frame.received_us), since_capture(decoded_us),
               static_cast<std::int64_t>(decoded_us - decode_start_us));
  const Yuv420Image& img = decoder_.image();
  width_ = img.width();
  height_ = img.height();
  if (opt_.check_pattern) check(frame.header.seq, img);
  have_picture_ = true;
  // Capture time on this clock when the offset is known; else arrival, which is close.
  last_time_us_ =
      capture_local_us_ >= 0 ? static_cast<std::uint64_t>(capture_local_us_) : frame.received_us;
  if (!opt_.record.empty() && !record_flag_used_) {
    record_flag_used_ = true;
    record_pending_ = opt_.record;
  }
  if (recording()) record(frame, last_time_us_);
  last_ = std::move(frame);
  ++decoded_;
  return enough() ? Outcome::kShowAndStop : Outcome::kShow;
}

void Viewer::presented() {
  stats_.presented(since_capture(monotonic_us()));
}

std::optional<WindowFigures> Viewer::tick() {
  hear_recorder();
  const std::uint64_t now = monotonic_us();
  if (now - last_roll_us_ < 1000000) return std::nullopt;
  last_roll_us_ = now;
  WindowFigures f = stats_.roll(now, feed_.bytes_received(), feed_.skipped(), feed_.frames_lost());
  if (opt_.print_fps) {
    std::printf("%s%s\n", opt_.label.c_str(), ViewerStats::format(f).c_str());
    std::fflush(stdout);
  }
  fps_ = f.fps;
  figures_ = f;
  return f;
}

std::string Viewer::title() const {
  std::string out = "camview - " + source_name(opt_);
  if (width_ > 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " - %dx%d - %.1f fps", width_, height_, fps_);
    out += buf;
  }
  return out + " - " + to_string(feed_.state());
}

std::vector<std::string> Viewer::overlay_lines() const {
  std::vector<std::string> lines;
  lines.push_back(source_name(opt_) + "  " + to_string(feed_.state()));
  if (width_ > 0) {
    std::string l = std::to_string(width_) + "x" + std::to_string(height_);
    if (figures_) l += format("  %.1f fps  %.0f kbit/s", figures_->fps, figures_->kbit_per_s);
    lines.push_back(l);
  }
  if (figures_) {
    const LatencyFigures& lat = figures_->presented.have ? figures_->presented : figures_->decoded;
    lines.push_back(lat.have ? format("latency p50/p99 %.1f/%.1f ms", lat.p50_ms, lat.p99_ms)
                             : std::string("latency unknown (no clock exchange)"));
    lines.push_back("skipped " + std::to_string(figures_->skipped) + "  lost " +
                    std::to_string(figures_->lost) + "  reconnects " +
                    std::to_string(feed_.reconnects()));
  }
  if (!controls_.empty()) {
    std::string l =
        "quality " + shown("quality") + "  fps " + shown("fps") + "  size " + shown("size");
    lines.push_back(l);
    static constexpr std::pair<const char*, const char*> kCamera[] = {
        {"ExposureTime", "exposure "}, {"AnalogueGain", "gain "},
        {"AwbMode", "AWB "},           {"AfMode", "AF "},
        {"LensPosition", "lens "},     {"Brightness", "brightness "}};
    std::string camera;
    for (const auto& [name, label] : kCamera) {
      const std::string v = shown(name);
      if (!v.empty()) camera += (camera.empty() ? "" : "  ") + std::string(label) + v;
    }
    if (!camera.empty()) lines.push_back(camera);
  }
  if (recorder_.active()) {
    lines.push_back("recording " + std::to_string(recorder_.frames()) +
                    " frames: " + recording_path_);
  }
  return lines;
}

std::string Viewer::banner(std::uint64_t now_us) const {
  switch (feed_.state()) {
    case FeedState::kLive:
      return {};
    case FeedState::kConnecting:
      return "connecting to " + source_name(opt_) + "…";
    case FeedState::kStalled:
      return format("stalled: no frame for %.0f s",
                    static_cast<double>(now_us - feed_.last_frame_us()) / 1e6);
    case FeedState::kReconnecting:
      return "reconnecting… " + feed_.reason();
    case FeedState::kEnded:
      return feed_.failed() ? feed_.reason() : std::string("stream ended");
  }
  return {};
}

void Viewer::snapshot() {
  if (!have_picture_) return say("no picture to save yet", true);
  std::string error;
  const auto path = save_new_file(
      snapshot_dir(), snapshot_name(source_name(opt_), wall_us_of(last_time_us_), last_.header.seq),
      last_.jpeg(), error);
  if (!path) return say(error, true);
  say("saved " + *path, false);
}

void Viewer::toggle_recording() {
  if (recording()) {
    recorder_.close();
    record_pending_.clear();
    return;
  }
  if (!opt_.record.empty() && !record_flag_used_) {
    record_flag_used_ = true;
    record_pending_ = opt_.record;
  } else {
    record_pending_ =
        snapshot_dir() + "/" + capture_stem(source_name(opt_), wall_us_of(monotonic_us())) + ".mkv";
  }
  say("recording into " + record_pending_, false);
}

void Viewer::record(const ReceivedFrame& frame, std::uint64_t time_us) {
  if (!record_pending_.empty()) {
    recording_path_ = std::move(record_pending_);
    record_pending_.clear();
    if (const auto slash = recording_path_.rfind('/'); slash != std::string::npos && slash > 0) {
      // The folder of a generated name may not exist yet (a fresh Pictures folder).
      std::error_code ignored;
      std::filesystem::create_directories(recording_path_.substr(0, slash), ignored);
    }
    recorder_.open(recording_path_, width_, height_, fps_ > 0 ? fps_ : 30);
  }
  recorder_.write(frame.jpeg(), time_us);
}

void Viewer::hear_recorder() {
  for (auto& [text, error] : recorder_.take_messages())
    say(std::move(text), error);
}

void Viewer::say(std::string text, bool error) {
  if (error) {
    log::error(text);
  } else {
    log::info(text);
  }
  notice_ = Notice{std::move(text), error, monotonic_us()};
}

std::string Viewer::snapshot_dir() const {
  return opt_.snapshot_dir.empty() ? default_snapshot_dir() : opt_.snapshot_dir;
}

int Viewer::exit_code(bool enough, bool interrupted) const {
  if (pattern_errors_ > 0) {
    log::error(std::to_string(pattern_errors_) + " of " + std::to_string(decoded_) +
               " frames failed the pattern check");
    return kExitPattern;
  }
  if (set_refusals_ > 0) return kExitControl;
  if (enough || interrupted) return kExitOk;
  return feed_.failed() ? kExitStream : kExitOk;
}

void Viewer::check(std::uint64_t seq, const Yuv420Image& img) {
  const auto read = seqcode::read(img.y(), img.y_stride(), img.width(), img.height());
  const auto expected = static_cast<std::uint32_t>(seq);
  if (read) {
    std::printf("%sframe seq=%llu pixel_seq=%u\n", opt_.label.c_str(),
                static_cast<unsigned long long>(seq), *read);
  } else {
    std::printf("%sframe seq=%llu pixel_seq=none\n", opt_.label.c_str(),
                static_cast<unsigned long long>(seq));
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

std::int64_t Viewer::since_capture(std::uint64_t local_us) const {
  return capture_local_us_ < 0 ? -1 : static_cast<std::int64_t>(local_us) - capture_local_us_;
}

}  // namespace camstream
