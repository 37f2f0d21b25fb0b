// log.hpp - minimal leveled logging to stderr, safe to call from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace camstream::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// The names --log-level takes, least severe first: debug, info, warn, error.
std::vector<std::string> level_names();
// The level of one of those names; nothing for any other text.
std::optional<Level> parse_level(std::string_view name);

// Lines below this level are not printed. Default kInfo.
void set_level(Level level);
Level level();
// The program name that starts every line, e.g. "camstreamd".
void set_program(std::string_view name);

void write(Level level, std::string_view message);

inline void debug(std::string_view m) {
  write(Level::kDebug, m);
}
inline void info(std::string_view m) {
  write(Level::kInfo, m);
}
inline void warn(std::string_view m) {
  write(Level::kWarn, m);
}
inline void error(std::string_view m) {
  write(Level::kError, m);
}

}  // namespace camstream::log
