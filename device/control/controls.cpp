// controls.cpp - the control model: listing, checking, applying, announcing and saving.
#include "device/control/controls.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "device/config.hpp"
#include "device/encode/encoder_pool.hpp"
#include "device/options.hpp"
#include "shared/log.hpp"
#include "shared/seqcode.hpp"
#include "shared/text.hpp"

namespace camstream {
namespace {

using nlohmann::json;

// The daemon's own controls, in the order they are listed.
const char* const kDaemonControls[] = {"quality", "fps", "size", "hflip", "vflip", "rotate"};

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

bool parse_bool(const std::string& s, bool& out) {
  for (const char* t : {"1", "true", "on", "yes"}) {
    if (text::iequals(s, t)) return out = true, true;
  }
  for (const char* f : {"0", "false", "off", "no"}) {
    if (text::iequals(s, f)) return out = false, true;
  }
  return false;
}

bool parse_number(const std::string& s, double& out) {
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(out);
}

bool parse_integer(const std::string& s, long long& out) {
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// One value of a camera control as JSON: booleans as booleans, whole numbers as integers.
json scalar_json(ControlRange::Kind kind, double d) {
  if (kind == ControlRange::Kind::kBool) return d != 0;
  if (kind == ControlRange::Kind::kInteger) return static_cast<long long>(std::llround(d));
  return d;
}

json camera_value_json(const ControlRange& r, const std::vector<double>& v) {
  if (v.empty()) return nullptr;
  if (!r.array) return scalar_json(r.kind, v.front());
  json a = json::array();
  for (double d : v)
    a.push_back(scalar_json(r.kind, d));
  return a;
}

json camera_entry(const CameraControlState& c) {
  const ControlRange& r = c.range;
  json e = {{"name", r.name}, {"owner", "camera"}};
  switch (r.kind) {
    case ControlRange::Kind::kBool:
      e["type"] = "bool";
      break;
    case ControlRange::Kind::kInteger:
      e["type"] = r.values.empty() ? "integer" : "menu";
      break;
    case ControlRange::Kind::kFloat:
      e["type"] = r.values.empty() ? "float" : "menu";
      break;
    case ControlRange::Kind::kUnsupported:
      e["type"] = "unsupported";
      break;
  }
  if (r.array) e["array"] = true;
  if (r.has_range && r.values.empty() && r.kind != ControlRange::Kind::kBool) {
    e["min"] = scalar_json(r.kind, r.min);
    e["max"] = scalar_json(r.kind, r.max);
    if (r.kind == ControlRange::Kind::kInteger) e["step"] = 1;
  }
  if (!r.values.empty()) {
    json menu = json::array();
    for (std::size_t i = 0; i < r.values.size(); ++i) {
      const std::string label = i < r.labels.size() ? r.labels[i] : number_text(r.values[i]);
      menu.push_back({{"value", scalar_json(r.kind, r.values[i])}, {"label", label}});
    }
    e["menu"] = menu;
  }
  e["default"] = camera_value_json(r, r.default_value);
  e["value"] = camera_value_json(r, c.value);
  if (r.kind == ControlRange::Kind::kUnsupported) {
    e["read_only"] = "camstreamd cannot set this kind of value";
  } else if (!r.read_only.empty()) {
    e["read_only"] = r.read_only;
  }
  return e;
}

}  // namespace

std::string json_text(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool json_to_control_text(const json& value, std::string& text) {
  const auto scalar = [](const json& v, std::string& out) {
    if (v.is_boolean()) {
      out = v.get<bool>() ? "true" : "false";
    } else if (v.is_number_integer()) {
      out = std::to_string(v.get<long long>());
    } else if (v.is_number()) {
      out = number_text(v.get<double>());
    } else if (v.is_string()) {
      out = v.get<std::string>();
    } else {
      return false;
    }
    return true;
  };
  if (!value.is_array()) return scalar(value, text);
  text.clear();
  for (const json& item : value) {
    std::string one;
    if (item.is_array() || !scalar(item, one)) return false;
    text += (text.empty() ? "" : ",") + one;
  }
  return !value.empty();
}

json ControlOutcome::to_json() const {
  json j = {{"applied", applied}, {"refused", refused}};
  if (saved) j["saved"] = true;
  if (!save_error.empty()) j["save_error"] = save_error;
  return j;
}

Controls::Controls(FrameSource& source, EncoderPool& encoders, std::string config_path)
    : source_(source),
      encoders_(encoders),
      config_path_(std::move(config_path)),
      start_mode_(source.mode()),
      start_quality_(encoders.quality()) {}

int Controls::quality() const {
  return encoders_.quality();
}

json Controls::describe(const std::string& name) const {
  const SourceMode m = source_.mode();
  const std::string no_transform =
      "this source cannot flip or rotate the picture (a camera that can transform it can)";
  if (name == "quality") {
    return {{"name", name},
            {"owner", "daemon"},
            {"type", "integer"},
            {"min", 1},
            {"max", 100},
            {"step", 1},
            {"default", start_quality_},
            {"value", quality()},
            {"unit", "JPEG quality"}};
  }
  if (name == "fps") {
    return {{"name", name},    {"owner", "daemon"},
            {"type", "float"}, {"min", 0},
            {"max", kMaxFps},  {"default", start_mode_.fps},
            {"value", m.fps},  {"unit", "frames per second; 0: as fast as the source goes"}};
  }
  if (name == "size") {
    json e = {{"name", name},
              {"owner", "daemon"},
              {"type", "size"},
              {"min", size_text(seqcode::kMinWidth, seqcode::kMinHeight)},
              {"max", size_text(kMaxFrameWidth, kMaxFrameHeight)},
              {"default", size_text(start_mode_.width, start_mode_.height)},
              {"value", size_text(m.width, m.height)},
              {"streaming", size_text(source_.width(), source_.height())}};
    const std::vector<std::string> sizes = source_.sizes();
    if (!sizes.empty()) e["options"] = sizes;
    return e;
  }
  if (name == "hflip" || name == "vflip") {
    json e = {{"name", name},
              {"owner", "daemon"},
              {"type", "bool"},
              {"default", name == "hflip" ? start_mode_.hflip : start_mode_.vflip},
              {"value", name == "hflip" ? m.hflip : m.vflip}};
    if (!source_.can_transform()) e["read_only"] = no_transform;
    return e;
  }
  if (name == "rotate") {
    json e = {
        {"name", name},
        {"owner", "daemon"},
        {"type", "menu"},
        {"menu", json::array({{{"value", 0}, {"label", "0"}}, {{"value", 180}, {"label", "180"}}})},
        {"default", start_mode_.rotate},
        {"value", m.rotate}};
    if (!source_.can_transform()) e["read_only"] = no_transform;
    return e;
  }
  for (const CameraControlState& c : source_.camera_controls()) {
    if (c.range.name == name) return camera_entry(c);
  }
  return nullptr;
}

json Controls::list() const {
  json controls = json::array();
  for (const char* name : kDaemonControls)
    controls.push_back(describe(name));
  for (const CameraControlState& c : source_.camera_controls())
    controls.push_back(camera_entry(c));
  json j = {{"controls", controls}};
  const auto [w, h] = source_.still_size();
  if (w > 0 && h > 0) j["still"] = {{"width", w}, {"height", h}};
  return j;
}

bool Controls::check(const std::string& name, const std::string& text, Role role, Checked& out,
                     std::string& error, bool& role_error) const {
  role_error = false;
  out.name = name;
  if (role != Role::kControl) {
    role_error = true;
    error =
        "changing controls needs the control role (a control token or --control-user); this "
        "client may only watch";
    return false;
  }
  if (name == "quality") {
    long long q = 0;
    if (!parse_integer(text, q) || q < 1 || q > 100) {
      error = "'" + text + "' is out of range; quality takes a whole number from 1 to 100";
      return false;
    }
    out.shown = q;
    out.config_value = std::to_string(q);
    return true;
  }
  if (name == "fps") {
    double f = 0;
    if (!parse_number(text, f) || f < 0 || f > kMaxFps) {
      error = "'" + text + "' is out of range; fps takes a number from 0 to " +
              number_text(kMaxFps) + " (0: as fast as the source goes)";
      return false;
    }
    out.shown = f;
    out.config_value = number_text(f);
    return true;
  }
  if (name == "size") {
    int w = 0, h = 0;
    if (!parse_size(text, w, h, error)) return false;
    out.shown = size_text(w, h);
    out.config_value = size_text(w, h);
    return true;
  }
  if (name == "hflip" || name == "vflip" || name == "rotate") {
    if (!source_.can_transform()) {
      error = name + " is read-only here: " + describe(name)["read_only"].get<std::string>();
      return false;
    }
    if (name == "rotate") {
      long long r = -1;
      if (!parse_integer(text, r) || (r != 0 && r != 180)) {
        error = "'" + text + "' is out of range; rotate takes 0 or 180";
        return false;
      }
      out.shown = r;
      out.config_value = std::to_string(r);
      return true;
    }
    bool b = false;
    if (!parse_bool(text, b)) {
      error = "'" + text + "' is not valid; " + name + " takes true or false";
      return false;
    }
    out.shown = b;
    out.config_value = b ? "true" : "false";
    return true;
  }
  if (name.size() > kMaxControlNameBytes) {
    error = "no control has a name that long";
    return false;
  }
  for (const CameraControlState& c : source_.camera_controls()) {
    const ControlRange& r = c.range;
    if (r.name != name) continue;
    if (r.kind == ControlRange::Kind::kUnsupported) {
      error = name + " is read-only here: camstreamd cannot set this kind of value";
      return false;
    }
    if (!r.read_only.empty()) {
      error = name + " is read-only here: " + r.read_only;
      return false;
    }
    // A menu value may be given by its label ("Daylight"), which the error names too.
    if (!check_control_value(r, text, out.value, error)) return false;
    out.shown = camera_value_json(r, out.value);
    out.config_value = name + "=" + control_value_text(r, out.value);
    return true;
  }
  error = "no such control; GET /controls lists them";
  return false;
}

ControlOutcome Controls::apply(const json& values, Role role, bool persist) {
  ControlOutcome outcome;
  if (!values.is_object()) {
    outcome.refused["(request)"] =
        "the body must be a JSON object of NAME: VALUE, e.g. {\"quality\": 70}";
    return outcome;
  }
  if (values.size() > kMaxControlsPerRequest) {
    outcome.refused["(request)"] =
        "at most " + std::to_string(kMaxControlsPerRequest) + " controls in one request";
    return outcome;
  }
  std::vector<std::pair<std::string, std::string>> texts;
  for (const auto& [name, value] : values.items()) {
    std::string text;
    if (!json_to_control_text(value, text)) {
      outcome.refused[name] =
          "the value must be a number, true or false, a string or an array of those";
      continue;
    }
    texts.emplace_back(name, text);
  }
  ControlOutcome rest = apply_text(texts, role, persist);
  for (const auto& [name, reason] : outcome.refused.items())
    rest.refused[name] = reason;
  return rest;
}

ControlOutcome Controls::apply_text(const std::vector<std::pair<std::string, std::string>>& values,
                                    Role role, bool persist) {
  ControlOutcome outcome;
  if (values.size() > kMaxControlsPerRequest) {
    outcome.refused["(request)"] =
        "at most " + std::to_string(kMaxControlsPerRequest) + " controls in one request";
    return outcome;
  }
  std::vector<Checked> changes;
  for (const auto& [name, text] : values) {
    Checked c;
    std::string error;
    bool role_error = false;
    const std::string shown_name =
        name.size() > kMaxControlNameBytes ? name.substr(0, kMaxControlNameBytes) + "..." : name;
    if (check(name, text, role, c, error, role_error)) {
      // A name given twice: the last value wins, as on a command line.
      std::erase_if(changes, [&](const Checked& o) { return o.name == name; });
      changes.push_back(std::move(c));
    } else {
      outcome.refused[shown_name] = error;
      outcome.role_refused = outcome.role_refused || role_error;
    }
  }
  // With persist=1 and nothing else, a request only saves what was changed before.
  if (values.empty() && !persist)
    outcome.refused["(request)"] = "no control named; e.g. quality=70";
  if (persist && role != Role::kControl) {
    outcome.role_refused = true;
    outcome.save_error = "saving needs the control role";
    if (values.empty()) outcome.refused["(request)"] = outcome.save_error;
    persist = false;
  }
  return apply_checked(std::move(changes), std::move(outcome), persist);
}

ControlOutcome Controls::apply_checked(std::vector<Checked> changes, ControlOutcome outcome,
                                       bool persist) {
  SourceMode mode = source_.mode();
  const SourceMode before = mode;
  std::vector<ControlChange> camera;
  std::vector<const Checked*> mode_changes, camera_changes;
  for (const Checked& c : changes) {
    if (c.name == "quality") {
      encoders_.set_quality(c.shown.get<int>());
      outcome.applied[c.name] = c.shown;
      changed_["quality"] = c.config_value;
    } else if (c.name == "fps") {
      mode.fps = c.shown.get<double>();
      mode_changes.push_back(&c);
    } else if (c.name == "size") {
      std::string checked_already;
      parse_size(c.config_value, mode.width, mode.height, checked_already);
      mode_changes.push_back(&c);
    } else if (c.name == "hflip") {
      mode.hflip = c.shown.get<bool>();
      mode_changes.push_back(&c);
    } else if (c.name == "vflip") {
      mode.vflip = c.shown.get<bool>();
      mode_changes.push_back(&c);
    } else if (c.name == "rotate") {
      mode.rotate = c.shown.get<int>();
      mode_changes.push_back(&c);
    } else {
      camera.push_back(ControlChange{c.name, c.value});
      camera_changes.push_back(&c);
    }
  }
  if (!mode_changes.empty()) {
    std::string error;
    if (mode == before || source_.set_mode(mode, error)) {
      for (const Checked* c : mode_changes) {
        outcome.applied[c->name] = c->shown;
        changed_[c->name] = c->config_value;
      }
    } else {
      for (const Checked* c : mode_changes)
        outcome.refused[c->name] = error;
    }
  }
  if (!camera.empty()) {
    std::string error;
    if (source_.set_camera_controls(camera, error)) {
      for (const Checked* c : camera_changes) {
        outcome.applied[c->name] = c->shown;
        changed_["control " + c->name] = c->config_value;
      }
    } else {
      for (const Checked* c : camera_changes)
        outcome.refused[c->name] = error;
    }
  }
  if (!outcome.applied.empty()) {
    std::string line;
    for (const auto& [name, value] : outcome.applied.items())
      line += (line.empty() ? "" : ", ") + name + "=" + json_text(value);
    log::info("controls changed: " + line);
    // A copy: a listener may unsubscribe (its client gone) while being told.
    const auto listeners = listeners_;
    for (const auto& [id, listener] : listeners)
      listener(outcome.applied);
  }
  if (persist) outcome.saved = save(outcome.save_error);
  return outcome;
}

bool Controls::save(std::string& error) const {
  if (config_path_.empty()) {
    error =
        "no config file to save to (camstreamd was started with --config \"\"); start it "
        "with --config FILE";
    return false;
  }
  std::vector<ConfigEntry> values;
  for (const auto& [key, value] : changed_) {
    const bool camera = key.rfind("control ", 0) == 0;
    values.push_back(ConfigEntry{camera ? "control" : key, value, 0});
  }
  if (values.empty()) return true;
  if (!update_config_file(config_path_, values, error)) return false;
  log::info("controls saved to " + config_path_);
  return true;
}

std::uint64_t Controls::subscribe(Listener listener) {
  const std::uint64_t id = next_listener_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void Controls::unsubscribe(std::uint64_t id) {
  listeners_.erase(id);
}

}  // namespace camstream
