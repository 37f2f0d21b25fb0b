// log.cpp - stderr logging with one write per line, so lines from threads never interleave.
#include "shared/log.hpp"

#include <atomic>
#include <iterator>
#include <mutex>
#include <string>

#include <unistd.h>

namespace camstream::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};
std::mutex g_mutex;
std::string g_program = "camstream";

std::string_view tag(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug: ";
    case Level::kInfo:
      return "";
    case Level::kWarn:
      return "warning: ";
    case Level::kError:
      return "error: ";
  }
  return "";
}

constexpr std::string_view kNames[] = {"debug", "info", "warn", "error"};

}  // namespace

std::vector<std::string> level_names() {
  return {std::begin(kNames), std::end(kNames)};
}

std::optional<Level> parse_level(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kNames); ++i) {
    if (kNames[i] == name) return static_cast<Level>(i);
  }
  return std::nullopt;
}

void set_level(Level l) {
  g_level.store(l);
}
Level level() {
  return g_level.load();
}

void set_program(std::string_view name) {
  std::lock_guard lock(g_mutex);
  g_program = name;
}

void write(Level l, std::string_view message) {
  if (l < g_level.load()) return;
  std::lock_guard lock(g_mutex);
  std::string line;
  line.reserve(g_program.size() + message.size() + 16);
  line.append(g_program).append(": ").append(tag(l)).append(message).append("\n");
  std::size_t off = 0;
  while (off < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + off, line.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace camstream::log
