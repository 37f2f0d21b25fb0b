// tls.hpp - the daemon's TLS certificate and context: given files, or a self-signed one kept
// in the state directory.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <asio/ssl.hpp>

namespace camstream {

struct TlsSettings {
  // "off": plain TCP only. "auto": a self-signed certificate made once and kept in
  // `state_dir`. "files": `cert_file` and `key_file` (PEM), e.g. from a CA or Let's Encrypt.
  std::string mode = "off";
  std::string cert_file;
  std::string key_file;
  std::string state_dir;  // for "auto"
  // Host names and addresses the self-signed certificate names (subjectAltName).
  std::vector<std::string> names;
};

// Who the daemon's certificate says it is, as clients pin it.
struct TlsIdentity {
  std::string cert_file;
  // SHA-256 of the certificate (DER), as "AB:CD:…", what browsers and `openssl x509
  // -fingerprint -sha256` show and what camview --pin takes.
  std::string fingerprint;
  // SHA-256 of the public key (SubjectPublicKeyInfo) in base64, for curl --pinnedpubkey
  // "sha256//…".
  std::string public_key_pin;
};

// The certificate `settings` name: the given file, or --tls auto's in the state directory.
std::string tls_cert_file(const TlsSettings& settings);
// Reads the identity of an existing certificate, making nothing (camstreamd --show-access).
// False with a sentence in `error` when the file is missing or unreadable.
bool read_tls_identity(const std::string& cert_file, TlsIdentity& identity, std::string& error);

// The server side of TLS: one context for every connection, made at start so a bad file stops
// the daemon before it serves. Accepts TLS 1.2 and 1.3 only.
class TlsServer {
 public:
  // Null with one sentence in `error` naming the file and what to do.
  static std::unique_ptr<TlsServer> make(const TlsSettings& settings, std::string& error);

  asio::ssl::context& context() { return context_; }
  const TlsIdentity& identity() const { return identity_; }

 private:
  TlsServer() : context_(asio::ssl::context::tls_server) {}

  asio::ssl::context context_;
  TlsIdentity identity_;
};

// Makes a self-signed certificate (an EC P-256 key, SHA-256, ten years) for `names` and
// writes it and its key (mode 0600) as PEM. False with a sentence in `error`.
bool make_self_signed(const std::string& cert_file, const std::string& key_file,
                      const std::vector<std::string>& names, std::string& error);

// Where a daemon keeps what it makes for itself: $STATE_DIRECTORY (systemd's StateDirectory=),
// else /var/lib/camstream for root, else $XDG_STATE_HOME/camstream or ~/.local/state/camstream.
std::string default_state_dir();

}  // namespace camstream
