// tls_trust.hpp - whether a client trusts a server's certificate: a pinned fingerprint, a CA, or
// trust on first use remembered like ssh's known_hosts.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace camstream {

// Normalises a SHA-256 fingerprint as users paste it ("AB:CD:…", "abcd…", with or without
// "sha256:"): 64 lower-case hex digits, or nothing when it is not one.
std::optional<std::string> normalize_fingerprint(std::string_view text);

// "AB:CD:…" from 64 hex digits, as browsers and openssl show fingerprints.
std::string display_fingerprint(std::string_view hex64);

// The trust-on-first-use memory: one line "HOST:PORT SHA256-HEX" per server, in a file of the
// user's (by default $XDG_CONFIG_HOME/camstream/known_hosts or ~/.config/camstream/known_hosts).
class KnownHosts {
 public:
  explicit KnownHosts(std::string path);
  static std::string default_path();

  enum class Verdict {
    kKnown,     // the fingerprint remembered for this server: trust
    kNew,       // no line for this server yet: remembered now (remember() was called)
    kChanged,   // another fingerprint is remembered: refuse, it may be an impostor
    kUnusable,  // the file could not be read or written: refuse, with `error`
  };
  // Looks `server` up and, when it is new, remembers `fingerprint` (64 hex digits) for it.
  Verdict check(const std::string& server, const std::string& fingerprint, std::string& remembered,
                std::string& error);

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace camstream
