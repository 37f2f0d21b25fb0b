// config.hpp - camstreamd's config file: strict `key = value` lines, read before the flags apply.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace camstream {

// Where the packaged daemon looks when --config is not given.
inline constexpr const char* kDefaultConfigPath = "/etc/camstream/camstreamd.conf";

// A config file larger than this is refused: ours are a dozen lines, so a bigger one is a
// wrong path (a log, an image), not a config.
inline constexpr std::size_t kMaxConfigBytes = 64 * 1024;

struct ConfigEntry {
  std::string key;    // a long flag without its "--", e.g. "log-level"
  std::string value;  // surrounding blanks and one pair of double quotes removed
  int line = 0;       // 1-based, for error messages
};

// Parses the text of a config file. The format, one setting per line:
//   # a comment (only as a whole line)
//   key = value
//   key = "value with surrounding quotes"
// Blank lines are ignored. A line without '=', an empty key or value, or a key that is not
// made of [a-z0-9-] starting with a letter fails. A key may repeat (for repeatable flags such as
// --control); whether it may is for the caller to decide. On failure returns false and sets `error`
// to "PATH:LINE: what is wrong" (`path` is used only for that message).
bool parse_config_text(std::string_view text, const std::string& path,
                       std::vector<ConfigEntry>& entries, std::string& error);

enum class ConfigLoad {
  kLoaded,  // `entries` holds the file's settings
  kAbsent,  // the file does not exist and `required` was false: run on flags and defaults
  kFailed,  // `error` says why, naming the file (and the line where there is one)
};

// Reads and parses `path`. A missing file is kAbsent unless `required` (the user named it
// with --config), then kFailed.
ConfigLoad load_config_file(const std::string& path, bool required,
                            std::vector<ConfigEntry>& entries, std::string& error);

// `text` with each of `values` set: the first line of its key (for "control", the line naming
// the same control) takes the new value, later lines of it go, keys not there yet are added
// at the end; comments and every other line stay as they were.
std::string update_config_text(std::string_view text, const std::vector<ConfigEntry>& values);

// update_config_text() on the file at `path` (made when it does not exist): written to a file
// beside it, then renamed over it. False with a sentence in `error` naming the file.
bool update_config_file(const std::string& path, const std::vector<ConfigEntry>& values,
                        std::string& error);

}  // namespace camstream
