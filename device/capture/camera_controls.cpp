// camera_controls.cpp - parsing and range-checking control values by the camera's own limits.
#include "device/capture/camera_controls.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <sstream>
#include <string_view>
#include <utility>

#include "shared/text.hpp"

namespace camstream {
namespace {

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

bool parse_one(ControlRange::Kind kind, std::string_view s, double& out) {
  if (kind == ControlRange::Kind::kBool) {
    if (s == "1" || s == "true" || s == "on" || s == "yes") {
      out = 1;
      return true;
    }
    if (s == "0" || s == "false" || s == "off" || s == "no") {
      out = 0;
      return true;
    }
    return false;
  }
  if (kind == ControlRange::Kind::kInteger) {
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) return false;
    out = static_cast<double>(v);
    return true;
  }
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return false;
  out = v;
  return true;
}

// A menu's value given by its label.
bool parse_label(const ControlRange& c, std::string_view s, double& out) {
  for (std::size_t i = 0; i < c.labels.size() && i < c.values.size(); ++i) {
    if (!c.labels[i].empty() && text::iequals(c.labels[i], s)) {
      out = c.values[i];
      return true;
    }
  }
  return false;
}

bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}

}  // namespace

const ControlRange* find_control(const std::vector<ControlRange>& controls, const std::string& name,
                                 std::string& error) {
  for (const ControlRange& c : controls) {
    if (c.name == name) return &c;
  }
  std::string names;
  for (const ControlRange& c : controls)
    names += (names.empty() ? "" : ", ") + c.name;
  error = "--control " + name + ": this camera has no control called '" + name + "'; " +
          (names.empty() ? "it has no controls" : "it has " + names);
  return nullptr;
}

std::string describe_range(const ControlRange& c) {
  if (c.kind == ControlRange::Kind::kBool) return "true or false";
  if (!c.values.empty()) {
    std::string s = "one of ";
    for (std::size_t i = 0; i < c.values.size(); ++i) {
      s += (i ? ", " : "") + number(c.values[i]);
      if (i < c.labels.size() && !c.labels[i].empty()) s += " (" + c.labels[i] + ")";
    }
    return s;
  }
  const std::string what = c.kind == ControlRange::Kind::kInteger ? "a whole number" : "a number";
  if (!c.has_range) return what;
  return what + " from " + number(c.min) + " to " + number(c.max);
}

bool check_control_value(const ControlRange& c, std::string_view text, std::vector<double>& out,
                         std::string& error) {
  out.clear();
  if (c.kind == ControlRange::Kind::kUnsupported) {
    error = c.name + " takes a kind of value camstreamd cannot set";
    return false;
  }
  std::string_view rest(text);
  for (;;) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    double v = 0;
    if (!parse_one(c.kind, item, v) && !parse_label(c, item, v)) {
      error = "'" + std::string(item) + "' is not valid; " + c.name + " takes " + describe_range(c);
      return false;
    }
    const bool listed =
        c.values.empty() || std::find(c.values.begin(), c.values.end(), v) != c.values.end();
    if ((c.has_range && c.values.empty() && (v < c.min || v > c.max)) || !listed) {
      error = "out of range; " + c.name + " takes " + describe_range(c);
      return false;
    }
    out.push_back(v);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (out.size() > 1 && !c.array) {
    error = c.name + " takes one value, not a list";
    return false;
  }
  return true;
}

bool parse_control_value(const ControlRange& c, const std::string& text, std::vector<double>& out,
                         std::string& error) {
  const std::string prefix = "--control " + c.name + "=" + text + ": ";
  if (c.kind == ControlRange::Kind::kUnsupported) {
    out.clear();
    error = prefix + c.name + " takes a kind of value --control cannot set";
    return false;
  }
  if (check_control_value(c, text, out, error)) return true;
  error = prefix + error;
  return false;
}

std::string control_value_text(const ControlRange& c, const std::vector<double>& values) {
  std::string text;
  for (double v : values) {
    if (!text.empty()) text += ",";
    if (c.kind == ControlRange::Kind::kBool) {
      text += v != 0 ? "true" : "false";
    } else if (c.kind == ControlRange::Kind::kInteger) {
      text += std::to_string(std::llround(v));
    } else {
      char n[32];
      const auto [end, ec] = std::to_chars(n, n + sizeof n, v);  // the shortest exact form
      text.append(n, ec == std::errc() ? end : n);
    }
  }
  return text;
}

std::vector<std::string> labels_from_enumerators(const std::vector<std::string>& names) {
  if (names.empty()) return {};
  // The longest common prefix, then back to a word's start (an upper-case letter) that leaves
  // something of every name: "AfModeManual", "AfModeAuto" share "AfMode", not "AfModeMa".
  std::size_t cut = names.front().size();
  for (const std::string& n : names) {
    std::size_t i = 0;
    while (i < cut && i < n.size() && n[i] == names.front()[i])
      ++i;
    cut = i;
  }
  for (;; --cut) {
    if (cut == 0) break;
    const bool word_start = std::all_of(names.begin(), names.end(), [cut](const std::string& n) {
      return cut < n.size() && is_upper(n[cut]);
    });
    if (word_start) break;
  }
  std::vector<std::string> labels;
  for (const std::string& n : names)
    labels.push_back(n.substr(cut));
  return labels;
}

std::string builtin_menu_label(const std::string& control, int value) {
  // The enumerators of libcamera's control_ids (values fixed by its ABI since 0.0.x), with the
  // words they share dropped as labels_from_enumerators() does.
  static const std::map<std::string, std::vector<const char*>> menus = {
      {"AeMeteringMode", {"CentreWeighted", "Spot", "Matrix", "Custom"}},
      {"AeConstraintMode", {"Normal", "Highlight", "Shadows", "Custom"}},
      {"AeExposureMode", {"Normal", "Short", "Long", "Custom"}},
      {"AeFlickerMode", {"Off", "Manual", "Auto"}},
      {"ExposureTimeMode", {"Auto", "Manual"}},
      {"AnalogueGainMode", {"Auto", "Manual"}},
      {"AwbMode",
       {"Auto", "Incandescent", "Tungsten", "Fluorescent", "Indoor", "Daylight", "Cloudy",
        "Custom"}},
      {"AfMode", {"Manual", "Auto", "Continuous"}},
      {"AfRange", {"Normal", "Macro", "Full"}},
      {"AfSpeed", {"Normal", "Fast"}},
      {"AfMetering", {"Auto", "Windows"}},
      {"AfTrigger", {"Start", "Cancel"}},
      {"AfPause", {"Immediate", "Deferred", "Resume"}},
      {"HdrMode", {"Off", "MultiExposureUnmerged", "MultiExposure", "SingleExposure", "Night"}},
      {"NoiseReductionMode", {"Off", "Fast", "HighQuality", "Minimal", "ZSL"}},
  };
  const auto it = menus.find(control);
  if (it == menus.end() || value < 0 || static_cast<std::size_t>(value) >= it->second.size())
    return {};
  return it->second[static_cast<std::size_t>(value)];
}

}  // namespace camstream
