// tls_client.hpp - camview's side of TLS: one context for every connection, and whether a
// server's certificate is trusted (a CA, a pinned fingerprint, or trust on first use).
#pragma once

#include <memory>
#include <string>

#include <asio.hpp>
#include <asio/ssl.hpp>

#include "shared/address.hpp"

namespace camstream {

struct TlsTrust {
  // A CA (PEM) that signed the server's certificate, which must also name the host: what a
  // certificate from your own CA or a public one needs.
  std::string ca_file;
  // The SHA-256 fingerprint of the server's certificate, 64 hex digits (normalize_fingerprint).
  std::string pin;
  // Neither: trust on first use, remembered in this file (KnownHosts), like ssh.
  std::string known_hosts;
};

// Shared by every connection camview makes, on any thread (OpenSSL's contexts are).
class TlsClient {
 public:
  // Null with a sentence in `error` when the CA file cannot be used.
  static std::shared_ptr<TlsClient> make(TlsTrust trust, std::string& error);

  asio::ssl::context& context() { return context_; }

  // Before the handshake: the name to ask for (SNI) and, with a CA, the checks OpenSSL makes.
  void prepare(asio::ssl::stream<asio::ip::tcp::socket>& stream, const HostPort& server);

  // After the handshake: empty when the server's certificate is trusted, else the sentence
  // that says why not and what to do. On first use it remembers the certificate and says so
  // in `note`.
  std::string check(asio::ssl::stream<asio::ip::tcp::socket>& stream, const HostPort& server,
                    std::string& note);

  // The sentence for a handshake that failed: a certificate that failed the CA's checks, or a
  // server that does not speak TLS here. `permanent`: the CA refused the certificate, which
  // trying again cannot mend.
  std::string handshake_failure(const std::error_code& error, const HostPort& server,
                                bool& permanent) const;

 private:
  explicit TlsClient(TlsTrust trust)
      : context_(asio::ssl::context::tls_client), trust_(std::move(trust)) {}

  asio::ssl::context context_;
  TlsTrust trust_;
};

// The SHA-256 fingerprint of the certificate a TLS stream's peer presented, 64 lower-case hex
// digits; empty when it presented none.
std::string peer_fingerprint(asio::ssl::stream<asio::ip::tcp::socket>& stream);

}  // namespace camstream
