// options.hpp - camstreamd's command line: definition, validation and defaults.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "device/config.hpp"
#include "device/serve/access.hpp"
#include "device/serve/tls.hpp"
#include "shared/address.hpp"
#include "shared/log.hpp"

namespace camstream {

struct DaemonOptions {
  std::string source = "auto";  // auto: the first camera when there is one, else the test pattern
  std::string camera;           // --camera INDEX|ID; empty = the first camera
  bool list_cameras = false;    // --list-cameras: print the cameras and exit
  bool hflip = false;
  bool vflip = false;
  int rotate = 0;                                             // 0 or 180
  std::vector<std::pair<std::string, std::string>> controls;  // --control NAME=VALUE, in order
  int width = 1280;
  int height = 720;
  double fps = 30;
  int quality = 80;
  int workers = 0;  // 0 until parsed: then the number of cores, at most 4
  int noise = 0;    // test pattern grain, luma standard deviation; 0 = a clean picture
  HostPort listen{"0.0.0.0", kDefaultPort};
  double stats_interval = 0;  // seconds between stats lines; 0 = none
  log::Level log_level = log::Level::kInfo;
  // What clients may take (ServerLimits in device/serve/session.hpp holds the reasons).
  int max_clients = 256;
  int max_handshakes = 64;
  int max_per_address = 32;      // 0 = no limit
  double handshake_timeout = 5;  // seconds
  double write_timeout = 30;     // seconds without a byte taken
  // Who may watch or steer (docs/security.md). Empty: anyone who reaches the port, which is
  // allowed only on a loopback address or with --no-auth.
  Credentials credentials;
  bool no_auth = false;
  bool show_access = false;    // --show-access: print the URLs with the token, then exit
  bool hash_password = false;  // --hash-password: hash a password read from stdin, then exit
  // TLS on the same port as the clear dialects (docs/security.md): "off", "auto" (a
  // self-signed certificate kept in state_dir) or "files" (--tls-cert and --tls-key).
  TlsSettings tls;
  // The config file read (--config, or the default path even when it did not exist): where
  // POST /controls?persist=1 saves run-time changes. Empty after --config "".
  std::string config_path;
};

struct ParseResult {
  DaemonOptions options;
  bool exit = false;  // --help, --version or an error: exit now with exit_code
  int exit_code = 0;
  std::string output;  // what to print (help text on stdout, an error on stderr)
};

// Parses argv (argv[0] included), then the config file: --config PATH, or `default_config`
// when not given (a missing default file is fine, a missing --config file is an error).
// Every long flag can be set in the file as `flag = value`; a flag on the command line wins
// over the file. Never prints and never exits, so tests can call it.
ParseResult parse_daemon_options(const std::vector<std::string>& args,
                                 const std::string& default_config = kDefaultConfigPath);

// The daemon's bounds on --size (from seqcode::kMinWidth x kMinHeight) and --fps, which the
// control API keeps too.
inline constexpr int kMaxFrameWidth = 4096;
inline constexpr int kMaxFrameHeight = 4096;
inline constexpr double kMaxFps = 240;

// "WxH" -> width, height within the daemon's bounds; on failure a sentence in `error`.
bool parse_size(const std::string& text, int& width, int& height, std::string& error);

}  // namespace camstream
