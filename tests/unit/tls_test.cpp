// tls_test.cpp - the daemon's certificate: made once, kept, named right, refused when wrong.
#include "device/serve/tls.hpp"

#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include "shared/crypto.hpp"

namespace camstream {
namespace {

struct TempDir {
  TempDir() {
    std::string t = "/tmp/camstream-tls-XXXXXX";
    path = ::mkdtemp(t.data());
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string path;
};

std::string sha256_of_certificate(const std::string& pem_file) {
  std::FILE* f = std::fopen(pem_file.c_str(), "r");
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  unsigned char* der = nullptr;
  const int n = i2d_X509(x, &der);
  const auto d = crypto::sha256(std::span<const std::uint8_t>(der, static_cast<std::size_t>(n)));
  OPENSSL_free(der);
  X509_free(x);
  std::string hex = crypto::hex(d), out;
  for (std::size_t i = 0; i < hex.size(); i += 2)
    out += (i ? ":" : "") + std::string(1, static_cast<char>(std::toupper(hex[i]))) +
           std::string(1, static_cast<char>(std::toupper(hex[i + 1])));
  return out;
}

TEST(Tls, AutoMakesASelfSignedCertificateOnceAndKeepsIt) {
  TempDir dir;
  TlsSettings s;
  s.mode = "auto";
  s.state_dir = dir.path + "/state";
  s.names = {"cam.local", "192.0.2.7", "localhost"};
  std::string error;
  const auto first = TlsServer::make(s, error);
  ASSERT_TRUE(first) << error;
  EXPECT_EQ(first->identity().cert_file, s.state_dir + "/tls-cert.pem");
  EXPECT_EQ(first->identity().fingerprint, sha256_of_certificate(first->identity().cert_file));
  EXPECT_EQ(first->identity().fingerprint.size(), 32u * 3 - 1);
  EXPECT_EQ(first->identity().public_key_pin.size(), 44u);
  // The key is the owner's alone.
  struct stat st {};
  ASSERT_EQ(::stat((s.state_dir + "/tls-key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A restart keeps the certificate, so pinned clients keep trusting it.
  const auto second = TlsServer::make(s, error);
  ASSERT_TRUE(second) << error;
  EXPECT_EQ(second->identity().fingerprint, first->identity().fingerprint);
  // The names are in subjectAltName, as browsers and curl check them.
  std::FILE* f = std::fopen(first->identity().cert_file.c_str(), "r");
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ASSERT_TRUE(x);
  EXPECT_EQ(X509_check_host(x, "cam.local", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(x, "192.0.2.7", 0), 1);
  EXPECT_NE(X509_check_host(x, "other.local", 0, 0, nullptr), 1);
  X509_free(x);
}

TEST(Tls, FilesThatAreMissingOrDoNotMatchAreRefusedWithTheirName) {
  TempDir dir;
  std::string error;
  ASSERT_TRUE(make_self_signed(dir.path + "/a.pem", dir.path + "/a.key", {"a"}, error)) << error;
  ASSERT_TRUE(make_self_signed(dir.path + "/b.pem", dir.path + "/b.key", {"b"}, error)) << error;
  TlsSettings s;
  s.mode = "files";
  s.cert_file = dir.path + "/a.pem";
  s.key_file = dir.path + "/a.key";
  EXPECT_TRUE(TlsServer::make(s, error)) << error;
  s.key_file = dir.path + "/b.key";
  EXPECT_FALSE(TlsServer::make(s, error));
  EXPECT_NE(error.find("must be the PEM key of " + s.cert_file), std::string::npos) << error;
  s.cert_file = dir.path + "/missing.pem";
  EXPECT_FALSE(TlsServer::make(s, error));
  EXPECT_NE(error.find(s.cert_file), std::string::npos) << error;
}

TEST(Tls, AStateDirectoryThatCannotBeMadeIsNamed) {
  TlsSettings s;
  s.mode = "auto";
  s.state_dir = "/proc/no-such-place/camstream";
  std::string error;
  EXPECT_FALSE(TlsServer::make(s, error));
  EXPECT_NE(error.find("--state-dir"), std::string::npos) << error;
}

}  // namespace
}  // namespace camstream
