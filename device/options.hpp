// options.hpp - camstreamd's command line: definition, validation and defaults.
#pragma once

#include <string>
#include <vector>

#include "shared/address.hpp"
#include "shared/log.hpp"

namespace camstream {

struct DaemonOptions {
  std::string source = "testpattern";
  int width = 1280;
  int height = 720;
  double fps = 30;
  int quality = 80;
  int workers = 0;  // 0 until parsed: then the number of cores, at most 4
  HostPort listen{"0.0.0.0", kDefaultPort};
  double stats_interval = 0;  // seconds between stats lines; 0 = none
  log::Level log_level = log::Level::kInfo;
};

struct ParseResult {
  DaemonOptions options;
  bool exit = false;  // --help, --version or an error: exit now with exit_code
  int exit_code = 0;
  std::string output;  // what to print (help text on stdout, an error on stderr)
};

// Parses argv (argv[0] included). Never prints and never exits, so tests can call it.
ParseResult parse_daemon_options(const std::vector<std::string>& args);

// "WxH" -> width, height within the daemon's bounds; on failure a sentence in `error`.
bool parse_size(const std::string& text, int& width, int& height, std::string& error);

}  // namespace camstream
