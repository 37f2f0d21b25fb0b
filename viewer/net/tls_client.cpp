// tls_client.cpp - the client context, SNI, and the three ways camview trusts a certificate.
#include "viewer/net/tls_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "shared/crypto.hpp"
#include "shared/tls_trust.hpp"

namespace camstream {
namespace {

bool is_ip_literal(const std::string& host) {
  asio::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

std::shared_ptr<TlsClient> TlsClient::make(TlsTrust trust, std::string& error) {
  std::shared_ptr<TlsClient> client(new TlsClient(std::move(trust)));
  asio::ssl::context& ctx = client->context_;
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1);
  if (!client->trust_.ca_file.empty()) {
    asio::error_code ec;
    ctx.load_verify_file(client->trust_.ca_file, ec);
    if (ec) {
      error = "cannot use " + client->trust_.ca_file + " as a CA (" + ec.message() +
              "); give the PEM certificate of the CA that signed the camera's certificate";
      return nullptr;
    }
  }
  return client;
}

void TlsClient::prepare(asio::ssl::stream<asio::ip::tcp::socket>& stream, const HostPort& server) {
  if (!is_ip_literal(server.host)) {
    // SSL_set_tlsext_host_name, without the macro's C cast.
    SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(server.host.c_str()));
  }
  if (!trust_.ca_file.empty()) {
    stream.set_verify_mode(asio::ssl::verify_peer);
    stream.set_verify_callback(asio::ssl::host_name_verification(server.host));
  } else {
    // A pin or first use: the certificate is judged by its fingerprint after the handshake.
    stream.set_verify_mode(asio::ssl::verify_none);
  }
}

std::string peer_fingerprint(asio::ssl::stream<asio::ip::tcp::socket>& stream) {
  X509* cert = SSL_get1_peer_certificate(stream.native_handle());
  if (!cert) return {};
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert, &der);
  std::string hex;
  if (n > 0)
    hex = crypto::hex(
        crypto::sha256(std::span<const std::uint8_t>(der, static_cast<std::size_t>(n))));
  OPENSSL_free(der);
  X509_free(cert);
  return hex;
}

std::string TlsClient::check(asio::ssl::stream<asio::ip::tcp::socket>& stream,
                             const HostPort& server, std::string& note) {
  if (!trust_.ca_file.empty()) return {};  // OpenSSL checked it against the CA and the name
  const std::string where = to_string(server);
  const std::string seen = peer_fingerprint(stream);
  if (seen.empty()) return where + " presented no certificate";
  if (!trust_.pin.empty()) {
    if (seen == trust_.pin) return {};
    return "the certificate of " + where + " has the SHA-256 fingerprint " +
           display_fingerprint(seen) + ", not the pinned " + display_fingerprint(trust_.pin) +
           ": refusing it (someone may be in between); if the camera's certificate was "
           "renewed, pin the new one (camstreamd --show-access prints it)";
  }
  KnownHosts known(trust_.known_hosts);
  std::string remembered, error;
  switch (known.check(where, seen, remembered, error)) {
    case KnownHosts::Verdict::kKnown:
      return {};
    case KnownHosts::Verdict::kNew:
      note = "trusting " + where + " on first use: its certificate's SHA-256 fingerprint is " +
             display_fingerprint(seen) +
             " (compare with camstreamd --show-access); remembered in " + known.path();
      return {};
    case KnownHosts::Verdict::kChanged:
      return "the certificate of " + where + " changed: its SHA-256 fingerprint is now " +
             display_fingerprint(seen) + ", but " + known.path() + " remembers " +
             display_fingerprint(remembered) +
             ": refusing it (someone may be in between). If the camera's certificate was really "
             "renewed, delete its line from " +
             known.path() + " or give --pin with the new fingerprint";
    case KnownHosts::Verdict::kUnusable:
      break;
  }
  return error + "; give --pin SHA256 or --known-hosts FILE";
}

std::string TlsClient::handshake_failure(const std::error_code& error, const HostPort& server,
                                         bool& permanent) const {
  const std::string where = to_string(server);
  permanent =
      !trust_.ca_file.empty() &&
      ERR_GET_REASON(static_cast<unsigned long>(error.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED;
  if (permanent) {
    return "the certificate of " + where + " is not trusted: " + trust_.ca_file +
           " did not sign it, or it does not name '" + server.host + "' (" + error.message() + ")";
  }
  return "TLS with " + where + " failed (" + error.message() +
         "); is TLS on there (camstreamd --tls auto)?";
}

}  // namespace camstream
