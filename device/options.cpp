// options.cpp - CLI11 definition of camstreamd's flags and their checks.
#include "device/options.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>

#include "device/capture/libcamera_device.hpp"
#include "device/config.hpp"
#include "shared/seqcode.hpp"
#include "shared/version.hpp"

namespace camstream {
namespace {

bool parse_int(std::string_view s, int& out) {
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// Feeds the config file's entries to the options the command line left unset, through the
// same CLI11 validators the flags use, so the file accepts exactly what the flags accept.
bool apply_config(CLI::App& app, const std::vector<ConfigEntry>& entries, const std::string& path,
                  std::string& error) {
  // Options that act rather than set something have no place in a config file.
  const auto settable = [](const CLI::Option* o) {
    const auto& names = o->get_lnames();
    return !names.empty() && names[0] != "config" && names[0] != "help" && names[0] != "version" &&
           names[0] != "list-cameras" && names[0] != "show-access" && names[0] != "hash-password";
  };
  // Options the command line set: their file entries are skipped, the flag wins.
  std::vector<const CLI::Option*> flagged;
  for (const CLI::Option* o : app.get_options()) {
    if (o->count() > 0) flagged.push_back(o);
  }
  std::vector<std::pair<std::string, int>> seen;  // key, first line
  for (const ConfigEntry& e : entries) {
    const std::string where = path + ":" + std::to_string(e.line) + ": ";
    CLI::Option* opt = app.get_option_no_throw("--" + e.key);
    if (opt == nullptr || !settable(opt) || opt->get_lnames()[0] != e.key) {
      std::string keys;
      for (const CLI::Option* o : app.get_options()) {
        if (settable(o)) keys += (keys.empty() ? "" : ", ") + o->get_lnames()[0];
      }
      error = where + "unknown key '" + e.key + "'; the keys are " + keys;
      return false;
    }
    const auto before =
        std::find_if(seen.begin(), seen.end(), [&e](const auto& s) { return s.first == e.key; });
    if (before != seen.end() && opt->get_items_expected_max() <= 1) {
      error = where + "'" + e.key + "' is already set on line " + std::to_string(before->second) +
              "; keep one of the two";
      return false;
    }
    if (before == seen.end()) seen.emplace_back(e.key, e.line);
    if (std::find(flagged.begin(), flagged.end(), opt) != flagged.end()) continue;
    // Repeated lines of a repeatable option add up, as repeated flags do.
    try {
      opt->add_result(e.value);
      opt->run_callback();
    } catch (const CLI::Error& ex) {
      error = where + "bad value for '" + e.key + "': " + ex.what();
      return false;
    }
  }
  return true;
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
  if (w < seqcode::kMinWidth || h < seqcode::kMinHeight || w > kMaxFrameWidth ||
      h > kMaxFrameHeight) {
    error = "'" + text + "' is out of range; sizes go from " + std::to_string(seqcode::kMinWidth) +
            "x" + std::to_string(seqcode::kMinHeight) + " to " + std::to_string(kMaxFrameWidth) +
            "x" + std::to_string(kMaxFrameHeight);
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

ParseResult parse_daemon_options(const std::vector<std::string>& args,
                                 const std::string& default_config) {
  ParseResult result;
  DaemonOptions& o = result.options;
  CLI::App app{
      "camstreamd - captures camera frames, compresses them to JPEG and serves them "
      "over TCP to camview",
      "camstreamd"};
  app.set_version_flag("--version", [] {
    return std::string("camstreamd ") + kVersion + "\ncamera support: " + libcamera_support();
  });

  std::string size = "1280x720";
  std::string listen = "8080";
  std::string log_level = "info";
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  o.workers = std::min(cores, 4);

  app.add_option("--source", o.source,
                 "Where frames come from: libcamera (a camera), testpattern, or auto (the first "
                 "camera when there is one, else the test pattern)")
      ->check(CLI::IsMember({"auto", "libcamera", "testpattern"}))
      ->capture_default_str();
  app.add_option("--camera", o.camera,
                 "Which camera: its INDEX or ID as --list-cameras prints them (default: the "
                 "first)");
  app.add_flag("--list-cameras", o.list_cameras,
               "Print each camera's index, id, model and formats with their sizes, then exit");
  app.add_flag("--hflip", o.hflip, "Mirror the camera's picture left to right");
  app.add_flag("--vflip", o.vflip, "Mirror the camera's picture top to bottom");
  app.add_option("--rotate", o.rotate, "Rotate the camera's picture by 0 or 180 degrees")
      ->check(CLI::IsMember({0, 180}))
      ->capture_default_str();
  std::vector<std::string> controls;
  app.add_option("--control", controls,
                 "Set a libcamera control, e.g. ExposureTime=10000, AnalogueGain=2, "
                 "AwbEnable=false; repeatable; checked against the camera's own ranges")
      ->allow_extra_args(false)
      ->check([](const std::string& s) {
        const auto eq = s.find('=');
        return eq == std::string::npos || eq == 0 || eq + 1 == s.size()
                   ? "'" + s + "' is not NAME=VALUE, e.g. ExposureTime=10000"
                   : std::string();
      });
  app.add_option("--size", size, "Frame size WIDTHxHEIGHT")
      ->check([](const std::string& s) {
        int w = 0, h = 0;
        std::string error;
        return parse_size(s, w, h, error) ? std::string() : error;
      })
      ->capture_default_str();
  app.add_option("--fps", o.fps, "Frames per second to capture; 0 = as fast as the encoders go")
      ->check(CLI::Range(0.0, kMaxFps))
      ->capture_default_str();
  app.add_option("--quality", o.quality, "JPEG quality, 1 (smallest) to 100 (best)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--workers", o.workers, "JPEG encoder threads (default: cores, at most 4)")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  app.add_option("--noise", o.noise,
                 "Lay camera-like grain of this strength (luma standard deviation, 1-64) over "
                 "the test pattern, so JPEGs are as large and slow to encode as a camera's; "
                 "0 = the clean picture")
      ->check(CLI::Range(0, 64))
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
      ->check(CLI::IsMember(log::level_names()))
      ->capture_default_str();
  app.add_option("--max-clients", o.max_clients,
                 "Clients served at once (streaming, or being answered a request); more are "
                 "refused")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  app.add_option("--max-handshakes", o.max_handshakes,
                 "Connections that have not yet said what they want, apart from --max-clients; "
                 "when full, the oldest is dropped for a new one")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  app.add_option("--max-per-address", o.max_per_address,
                 "Connections of any kind from one IPv4 address or IPv6 /64; 0 = no limit")
      ->check(CLI::Range(0, 65536))
      ->capture_default_str();
  app.add_option("--handshake-timeout", o.handshake_timeout,
                 "Seconds a new connection has to say what it wants (and an HTTP client to "
                 "send each request head)")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  app.add_option("--write-timeout", o.write_timeout,
                 "Seconds a client's socket may take no byte of a frame or answer before the "
                 "client is cut as stalled")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();

  std::vector<std::string> auth_tokens, auth_token_files, view_tokens, view_token_files;
  std::vector<std::string> auth_users, control_users;
  const auto user_check = [](const std::string& s) {
    const auto colon = s.find(':');
    return colon == std::string::npos || colon == 0 || colon + 1 == s.size()
               ? std::string("expected USER:PASSWORD (or USER:HASH from --hash-password)")
               : std::string();
  };
  app.add_option("--auth-token", auth_tokens,
                 "A token that may watch and steer the camera (the owner's); HTTP clients send "
                 "it as 'Authorization: Bearer TOKEN' or ?token=TOKEN, camview as --token; "
                 "repeatable")
      ->allow_extra_args(false);
  app.add_option("--auth-token-file", auth_token_files,
                 "Read such a token from the first line of this file; repeatable")
      ->allow_extra_args(false);
  app.add_option("--view-token", view_tokens,
                 "A token that may watch (stream, snapshot, status) but not steer; repeatable")
      ->allow_extra_args(false);
  app.add_option("--view-token-file", view_token_files,
                 "Read such a view token from the first line of this file; repeatable")
      ->allow_extra_args(false);
  app.add_option("--auth-user", auth_users,
                 "USER:PASSWORD for HTTP Basic (browsers, Home Assistant, ffmpeg) that may watch; "
                 "the password may be a hash from --hash-password; repeatable")
      ->allow_extra_args(false)
      ->check(user_check);
  app.add_option("--control-user", control_users,
                 "USER:PASSWORD for HTTP Basic that may watch and steer; repeatable")
      ->allow_extra_args(false)
      ->check(user_check);
  app.add_flag("--no-auth", o.no_auth,
               "Serve anyone who reaches the port, without credentials, even beyond this "
               "machine (on a loopback address that is the default)");
  app.add_flag("--show-access", o.show_access,
               "Print the addresses to give a browser, Home Assistant and camview, with the "
               "token, then exit");
  app.add_flag("--hash-password", o.hash_password,
               "Read a password from standard input and print its hash for --auth-user or the "
               "config file, then exit");

  app.add_option("--tls", o.tls.mode,
                 "TLS on the same port, beside the clear protocols: off, or auto (a self-signed "
                 "certificate made once and kept in --state-dir; its fingerprint is logged and "
                 "shown by --show-access)")
      ->check(CLI::IsMember({"off", "auto"}))
      ->capture_default_str();
  app.add_option("--tls-cert", o.tls.cert_file,
                 "TLS with this certificate (PEM, with its chain), e.g. from your own CA");
  app.add_option("--tls-key", o.tls.key_file, "The PEM private key of --tls-cert");
  app.add_option("--state-dir", o.tls.state_dir,
                 "Where camstreamd keeps what it makes itself, such as --tls auto's "
                 "certificate (default: $STATE_DIRECTORY, /var/lib/camstream for root, else "
                 "~/.local/state/camstream)");

  std::string config_path = default_config;
  CLI::Option* config_opt =
      app.add_option("--config", config_path,
                     "Read settings from this file: one 'flag = value' per line, flags "
                     "without '--'; a flag on the command line wins over the file")
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
  {
    std::vector<ConfigEntry> entries;
    std::string config_error;
    const bool explicit_config = config_opt->count() > 0;
    const ConfigLoad load =
        config_path.empty() && explicit_config
            ? ConfigLoad::kAbsent  // --config "" : run on flags and defaults only
            : load_config_file(config_path, explicit_config, entries, config_error);
    if (load == ConfigLoad::kFailed ||
        (load == ConfigLoad::kLoaded && !apply_config(app, entries, config_path, config_error))) {
      result.exit = true;
      result.exit_code = 2;
      result.output = config_error + "\n";
      return result;
    }
  }
  o.config_path = config_path;
  std::string error;
  parse_size(size, o.width, o.height, error);
  for (const std::string& c : controls) {
    const auto eq = c.find('=');
    o.controls.emplace_back(c.substr(0, eq), c.substr(eq + 1));
  }
  o.listen = *parse_listen(listen, error);
  o.log_level = log::parse_level(log_level).value_or(log::Level::kInfo);

  const auto fail = [&result](std::string message) {
    result.exit = true;
    result.exit_code = 2;
    result.output = std::move(message) + "\n";
    return result;
  };
  if (o.tls.cert_file.empty() != o.tls.key_file.empty())
    return fail(
        "--tls-cert and --tls-key go together: give both, or --tls auto for a "
        "self-signed certificate");
  // A certificate of one's own takes the place of --tls auto's (the shipped config says
  // tls = auto, so uncommenting tls-cert and tls-key is all a user has to do).
  if (!o.tls.cert_file.empty()) o.tls.mode = "files";
  Credentials& c = o.credentials;
  c.control_tokens = auth_tokens;
  c.view_tokens = view_tokens;
  for (const auto& [files, tokens] : {std::pair{&auth_token_files, &c.control_tokens},
                                      std::pair{&view_token_files, &c.view_tokens}}) {
    for (const std::string& path : *files) {
      std::string token;
      if (!read_secret_file(path, token, error)) return fail(error);
      tokens->push_back(token);
    }
  }
  for (const std::vector<std::string>* tokens : {&c.control_tokens, &c.view_tokens}) {
    for (const std::string& t : *tokens) {
      // A short token is guessed; a token with spaces or controls cannot be sent in a header.
      if (t.size() < kMinTokenLength) {
        return fail("a token must have at least " + std::to_string(kMinTokenLength) +
                    " characters; make one with: head -c 32 /dev/urandom | base64");
      }
      if (std::any_of(t.begin(), t.end(), [](char ch) { return ch <= ' ' || ch == 0x7f; })) {
        return fail("a token may not contain spaces or control characters");
      }
    }
  }
  for (const auto& [users, role] :
       {std::pair{&auth_users, Role::kView}, std::pair{&control_users, Role::kControl}}) {
    for (const std::string& u : *users) {
      const auto colon = u.find(':');
      c.users.push_back({u.substr(0, colon), u.substr(colon + 1), role});
    }
  }
  return result;
}

}  // namespace camstream
