// options.cpp - CLI11 definition of camstreamd's flags and their checks.
#include "device/options.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>

#include "shared/seqcode.hpp"

namespace camstream {
namespace {

constexpr int kMaxWidth = 4096;
constexpr int kMaxHeight = 4096;

bool parse_int(std::string_view s, int& out) {
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

bool parse_size(const std::string& text, int& width, int& height, std::string& error) {
  const auto x = text.find_first_of("xX");
  int w = 0, h = 0;
  if (x == std::string::npos || !parse_int(std::string_view(text).substr(0, x), w) ||
      !parse_int(std::string_view(text).substr(x + 1), h)) {
    error = "'" + text + "' is not a size; write WIDTHxHEIGHT, e.g. 1280x720";
    return false;
  }
  if (w < seqcode::kMinWidth || h < seqcode::kMinHeight || w > kMaxWidth || h > kMaxHeight) {
    error = "'" + text + "' is out of range; sizes go from " + std::to_string(seqcode::kMinWidth) +
            "x" + std::to_string(seqcode::kMinHeight) + " to " + std::to_string(kMaxWidth) + "x" +
            std::to_string(kMaxHeight);
    return false;
  }
  if (w % 2 != 0 || h % 2 != 0) {
    error = "'" + text + "' has an odd side; YUV 4:2:0 needs even width and height";
    return false;
  }
  width = w;
  height = h;
  return true;
}

ParseResult parse_daemon_options(const std::vector<std::string>& args) {
  ParseResult result;
  DaemonOptions& o = result.options;
  CLI::App app{
      "camstreamd - captures camera frames, compresses them to JPEG and serves them "
      "over TCP to camview",
      "camstreamd"};
  app.set_version_flag("--version", "camstreamd 0.1.0");

  std::string size = "1280x720";
  std::string listen = "8080";
  std::string log_level = "info";
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  o.workers = std::min(cores, 4);

  app.add_option("--source", o.source, "Where frames come from: testpattern")
      ->check(CLI::IsMember({"testpattern"}))
      ->capture_default_str();
  app.add_option("--size", size, "Frame size WIDTHxHEIGHT")
      ->check([](const std::string& s) {
        int w = 0, h = 0;
        std::string error;
        return parse_size(s, w, h, error) ? std::string() : error;
      })
      ->capture_default_str();
  app.add_option("--fps", o.fps, "Frames per second to capture; 0 = as fast as the encoders go")
      ->check(CLI::Range(0.0, 240.0))
      ->capture_default_str();
  app.add_option("--quality", o.quality, "JPEG quality, 1 (smallest) to 100 (best)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--workers", o.workers, "JPEG encoder threads (default: cores, at most 4)")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  app.add_option("--listen", listen,
                 "[HOST:]PORT to serve on; port 0 picks a free port, printed on stdout as "
                 "'listening on HOST:PORT'")
      ->check([](const std::string& s) {
        std::string error;
        return parse_listen(s, error) ? std::string() : error;
      })
      ->capture_default_str();
  app.add_option("--stats", o.stats_interval,
                 "Log capture, encode and client figures every this many seconds (0 = never)")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--log-level", log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();

  std::vector<std::string> rest(args.rbegin(), args.rend() - (args.empty() ? 0 : 1));
  try {
    app.parse(rest);
  } catch (const CLI::ParseError& e) {
    std::ostringstream out, err;
    result.exit = true;
    result.exit_code = app.exit(e, out, err);
    result.output = out.str() + err.str();
    return result;
  }
  std::string error;
  parse_size(size, o.width, o.height, error);
  o.listen = *parse_listen(listen, error);
  o.log_level = log_level == "debug"   ? log::Level::kDebug
                : log_level == "warn"  ? log::Level::kWarn
                : log_level == "error" ? log::Level::kError
                                       : log::Level::kInfo;
  return result;
}

}  // namespace camstream
