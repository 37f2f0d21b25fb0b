// tls_trust.cpp - fingerprints as users write them, and the known-hosts file.
#include "shared/tls_trust.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <sys/stat.h>

#include "shared/text.hpp"

namespace camstream {
namespace {

bool make_parent_dirs(const std::string& file) {
  const std::size_t slash = file.rfind('/');
  if (slash == std::string::npos || slash == 0) return true;
  const std::string dir = file.substr(0, slash);
  for (std::size_t at = 1; at <= dir.size(); ++at) {
    if (at != dir.size() && dir[at] != '/') continue;
    if (::mkdir(dir.substr(0, at).c_str(), 0700) != 0 && errno != EEXIST) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> normalize_fingerprint(std::string_view text) {
  std::string_view t = text::trim(text);
  if (text::lower(t.substr(0, 7)) == "sha256:") t.remove_prefix(7);
  std::string hex;
  for (const char c : t) {
    if (c == ':' || std::isspace(static_cast<unsigned char>(c))) continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (hex.size() != 64) return std::nullopt;
  return hex;
}

std::string display_fingerprint(std::string_view hex64) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex64.size(); i += 2) {
    if (i) out += ':';
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(hex64[i])));
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(hex64[i + 1])));
  }
  return out;
}

KnownHosts::KnownHosts(std::string path) : path_(std::move(path)) {}

std::string KnownHosts::default_path() {
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x)
    return std::string(x) + "/camstream/known_hosts";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.config/camstream/known_hosts";
}

KnownHosts::Verdict KnownHosts::check(const std::string& server, const std::string& fingerprint,
                                      std::string& remembered, std::string& error) {
  {
    std::ifstream in(path_);
    std::string line;
    while (in && std::getline(in, line)) {
      std::istringstream fields(line);
      std::string host, print;
      if (!(fields >> host >> print) || host != server) continue;
      remembered = print;
      return print == fingerprint ? Verdict::kKnown : Verdict::kChanged;
    }
    if (!in.eof() && in.fail() && in.is_open()) {
      error = "cannot read " + path_;
      return Verdict::kUnusable;
    }
  }
  if (!make_parent_dirs(path_)) {
    error = "cannot make the folder of " + path_ + ": " + std::strerror(errno);
    return Verdict::kUnusable;
  }
  std::ofstream out(path_, std::ios::app);
  out << server << " " << fingerprint << "\n";
  if (!out) {
    error = "cannot remember the certificate in " + path_ + ": " + std::strerror(errno);
    return Verdict::kUnusable;
  }
  remembered = fingerprint;
  return Verdict::kNew;
}

}  // namespace camstream
