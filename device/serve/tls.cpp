// tls.cpp - loading or making the certificate, the server context and the fingerprints.
#include "device/serve/tls.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/crypto.hpp"

namespace camstream {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct FileClose {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using FilePtr = std::unique_ptr<std::FILE, FileClose>;

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// mkdir -p, owner-only for the folders it makes.
bool make_dirs(const std::string& path) {
  for (std::size_t at = 1; at <= path.size(); ++at) {
    if (at != path.size() && path[at] != '/') continue;
    const std::string part = path.substr(0, at);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return false;
  }
  return true;
}

X509Ptr read_cert(const std::string& path) {
  FilePtr f(std::fopen(path.c_str(), "r"));
  if (!f) return nullptr;
  return X509Ptr(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
}

std::string colon_hex(const unsigned char* p, unsigned int n) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    if (i) out += ':';
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}

bool is_ip(const std::string& name) {
  return name.find_first_not_of("0123456789.") == std::string::npos ||
         name.find(':') != std::string::npos;
}

}  // namespace

std::string default_state_dir() {
  if (const char* s = std::getenv("STATE_DIRECTORY"); s && *s) {
    const std::string all(s);
    return all.substr(0, all.find(':'));  // systemd lists several with ':'
  }
  if (::geteuid() == 0) return "/var/lib/camstream";
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return std::string(x) + "/camstream";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.local/state/camstream";
}

bool make_self_signed(const std::string& cert_file, const std::string& key_file,
                      const std::vector<std::string>& names, std::string& error) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr cert(X509_new());
  if (!key || !cert) {
    error = "OpenSSL could not make a key";
    return false;
  }
  X509_set_version(cert.get(), 2);
  std::array<unsigned char, 16> serial{};
  RAND_bytes(serial.data(), static_cast<int>(serial.size()));
  serial[0] &= 0x7f;  // a positive serial
  BIGNUM* bn = BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const std::string cn = names.empty() ? "camstreamd" : names.front();
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("camstream"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), subject);
  std::string san;
  for (const std::string& n : names) {
    // Appended piece by piece: "literal" + std::string trips GCC 12's -Wrestrict at -O3.
    if (!san.empty()) san += ',';
    san += is_ip(n) ? "IP:" : "DNS:";
    san += n;
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, san},
                                   std::pair{NID_basic_constraints, std::string("CA:FALSE")},
                                   std::pair{NID_ext_key_usage, std::string("serverAuth")}}) {
    if (value.empty()) continue;
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext) {
      error = "OpenSSL refused the certificate's names (" + value + ")";
      return false;
    }
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    error = "OpenSSL could not sign the certificate";
    return false;
  }
  {
    const mode_t old = ::umask(077);
    FilePtr k(std::fopen(key_file.c_str(), "w"));
    ::umask(old);
    if (!k ||
        PEM_write_PrivateKey(k.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
      error = "cannot write the TLS key to " + key_file + ": " + std::strerror(errno);
      return false;
    }
  }
  FilePtr c(std::fopen(cert_file.c_str(), "w"));
  if (!c || PEM_write_X509(c.get(), cert.get()) != 1) {
    error = "cannot write the TLS certificate to " + cert_file + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

std::string tls_cert_file(const TlsSettings& settings) {
  if (settings.mode != "auto") return settings.cert_file;
  return (settings.state_dir.empty() ? default_state_dir() : settings.state_dir) + "/tls-cert.pem";
}

bool read_tls_identity(const std::string& cert_file, TlsIdentity& identity, std::string& error) {
  if (!exists(cert_file)) {
    error = "there is no TLS certificate at " + cert_file + " yet";
    return false;
  }
  const X509Ptr cert = read_cert(cert_file);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!cert || X509_digest(cert.get(), EVP_sha256(), md, &n) != 1) {
    error = "cannot read the TLS certificate " + cert_file + "; it must be PEM";
    return false;
  }
  identity.cert_file = cert_file;
  identity.fingerprint = colon_hex(md, n);
  // curl's --pinnedpubkey hashes the whole SubjectPublicKeyInfo, DER-encoded.
  unsigned char* spki = nullptr;
  const int spki_size = i2d_PUBKEY(X509_get0_pubkey(cert.get()), &spki);
  if (spki_size > 0) {
    identity.public_key_pin = crypto::base64(
        crypto::sha256(std::span<const std::uint8_t>(spki, static_cast<std::size_t>(spki_size))));
  }
  OPENSSL_free(spki);
  return true;
}

std::unique_ptr<TlsServer> TlsServer::make(const TlsSettings& settings, std::string& error) {
  std::string cert_file = settings.cert_file, key_file = settings.key_file;
  if (settings.mode == "auto") {
    const std::string dir = settings.state_dir.empty() ? default_state_dir() : settings.state_dir;
    cert_file = tls_cert_file(settings);
    key_file = dir + "/tls-key.pem";
    if (!exists(cert_file) || !exists(key_file)) {
      if (!make_dirs(dir)) {
        error = "cannot make the state directory " + dir + " for the TLS certificate (" +
                std::strerror(errno) + "); give --state-dir DIR, or --tls-cert and --tls-key";
        return nullptr;
      }
      if (!make_self_signed(cert_file, key_file, settings.names, error)) return nullptr;
    }
  }
  std::unique_ptr<TlsServer> tls(new TlsServer());
  asio::ssl::context& ctx = tls->context_;
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  asio::error_code ec;
  ctx.use_certificate_chain_file(cert_file, ec);
  if (ec) {
    error = "cannot use the TLS certificate " + cert_file + " (" + ec.message() +
            "); it must be PEM, readable by camstreamd";
    return nullptr;
  }
  ctx.use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec || SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    error = "cannot use the TLS key " + key_file + (ec ? " (" + ec.message() + ")" : "") +
            "; it must be the PEM key of " + cert_file + ", readable by camstreamd";
    return nullptr;
  }
  if (!read_tls_identity(cert_file, tls->identity_, error)) return nullptr;
  return tls;
}

}  // namespace camstream
