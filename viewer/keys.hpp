// keys.hpp - camview's keys and mouse, listed once for --help and for the on-screen help.
#pragma once

#include <algorithm>
#include <string>

namespace camstream {

struct KeyHelp {
  const char* keys;
  const char* what;
};

inline constexpr KeyHelp kKeyHelp[] = {
    {"i", "overlay: state, size, fps, kbit/s, latency, skipped and lost frames"},
    {"s", "save the frame on screen as the JPEG that arrived (--snapshot-dir)"},
    {"r", "start or stop recording into Matroska (--snapshot-dir)"},
    {"f, F11, double-click", "fullscreen on or off"},
    {"g", "1:1 pixels on or off"},
    {"1-9, click", "show that camera alone (with several)"},
    {"0, Esc", "back to the grid; Esc also leaves fullscreen"},
    {"h, ?", "this list on screen"},
    {"q", "quit (or close the window)"},
};

// The list as --help prints it, one key a line.
inline std::string key_help_text() {
  std::string out = "Keys in the window:\n";
  for (const KeyHelp& k : kKeyHelp) {
    std::string keys = k.keys;
    keys.resize(std::max<std::size_t>(keys.size(), 22), ' ');
    out += "  " + keys + " " + k.what + "\n";
  }
  return out;
}

}  // namespace camstream
