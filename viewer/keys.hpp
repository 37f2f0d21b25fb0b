// keys.hpp - camview's keys and mouse, listed once for --help and for the on-screen help.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

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
    {"+, -", "JPEG quality up or down by 10 (the daemon's, for every client)"},
    {"e, E", "exposure time shorter or longer (manual exposure), if the camera has it"},
    {"a, A", "analogue gain down or up (manual exposure), if the camera has it"},
    {"w", "next auto white balance mode (AwbMode), if the camera has it"},
    {"o", "next autofocus mode (AfMode); t starts an autofocus scan (AfTrigger)"},
    {"S", "save a still at the camera's full size (--snapshot-dir)"},
    {"h, ?", "this list on screen"},
    {"q", "quit (or close the window)"},
};

// One line a key, the keys in a column: the on-screen list.
inline std::vector<std::string> key_help_lines() {
  std::vector<std::string> out;
  for (const KeyHelp& k : kKeyHelp) {
    std::string keys = k.keys;
    keys.resize(std::max<std::size_t>(keys.size(), 22), ' ');
    out.push_back(keys + " " + k.what);
  }
  return out;
}

// The list as --help prints it, after a heading.
inline std::string key_help_text() {
  std::string out = "Keys in the window:\n";
  for (const std::string& line : key_help_lines())
    out += "  " + line + "\n";
  return out;
}

}  // namespace camstream
