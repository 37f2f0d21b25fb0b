// crypto.cpp - SHA-256, HMAC, PBKDF2, randomness and encodings over OpenSSL's libcrypto.
#include "shared/crypto.hpp"

#include <charconv>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace camstream::crypto {
namespace {

constexpr std::string_view kHashScheme = "pbkdf2-sha256";
constexpr int kMinIterations = 1000;
constexpr int kMaxIterations = 10'000'000;
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool pbkdf2(std::string_view password, std::span<const std::uint8_t> salt, int iterations,
            Digest& out) {
  return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                           static_cast<int>(salt.size()), iterations, EVP_sha256(),
                           static_cast<int>(out.size()), out.data()) == 1;
}

}  // namespace

std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Digest sha256(std::span<const std::uint8_t> data) {
  Digest d{};
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), d.data(), &n, EVP_sha256(), nullptr);
  return d;
}

Digest hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> message) {
  Digest d{};
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), message.data(), message.size(),
       d.data(), &n);
  return d;
}

bool random_bytes(std::span<std::uint8_t> out) {
  return RAND_bytes(out.data(), static_cast<int>(out.size())) == 1;
}

std::string random_token() {
  std::array<std::uint8_t, 32> raw{};
  if (!random_bytes(raw)) return {};
  std::string t = base64(raw);
  for (char& c : t) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!t.empty() && t.back() == '=')
    t.pop_back();
  return t;
}

bool equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool equal(std::string_view a, std::string_view b) {
  return equal(bytes(a), bytes(b));
}

std::string base64(std::span<const std::uint8_t> data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < data.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, data.size() - i);
    const std::uint32_t v = static_cast<std::uint32_t>(data[i]) << 16 |
                            (n > 1 ? static_cast<std::uint32_t>(data[i + 1]) << 8 : 0u) |
                            (n > 2 ? static_cast<std::uint32_t>(data[i + 2]) : 0u);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += n > 1 ? kAlphabet[(v >> 6) & 63] : '=';
    out += n > 2 ? kAlphabet[v & 63] : '=';
  }
  return out;
}

std::optional<std::string> unbase64(std::string_view text, std::size_t max_out) {
  if (text.size() % 4 != 0 || text.size() / 4 * 3 > max_out + 2) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t v = 0;
    int pad = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      int d = -1;
      if (c == '=') {
        // Padding only at the very end, at most two.
        if (i + 4 != text.size() || j < 2) return std::nullopt;
        ++pad;
        d = 0;
      } else {
        if (pad > 0) return std::nullopt;
        for (int k = 0; k < 64; ++k) {
          if (kAlphabet[k] == c) d = k;
        }
      }
      if (d < 0) return std::nullopt;
      v = v << 6 | static_cast<std::uint32_t>(d);
    }
    out += static_cast<char>(v >> 16 & 0xff);
    if (pad < 2) out += static_cast<char>(v >> 8 & 0xff);
    if (pad < 1) out += static_cast<char>(v & 0xff);
  }
  if (out.size() > max_out) return std::nullopt;
  return out;
}

std::string hex(std::span<const std::uint8_t> data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (std::uint8_t b : data) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::string hash_password(std::string_view password, int iterations) {
  std::array<std::uint8_t, 16> salt{};
  Digest d{};
  if (!random_bytes(salt) || !pbkdf2(password, salt, iterations, d)) return {};
  return std::string(kHashScheme) + "$" + std::to_string(iterations) + "$" + base64(salt) + "$" +
         base64(d);
}

bool is_password_hash(std::string_view text) {
  return text.substr(0, kHashScheme.size() + 1) == std::string(kHashScheme) + "$";
}

bool verify_password(std::string_view password, std::string_view hash) {
  if (!is_password_hash(hash)) return false;
  std::string_view rest = hash.substr(kHashScheme.size() + 1);
  const std::size_t a = rest.find('$');
  if (a == std::string_view::npos) return false;
  const std::size_t b = rest.find('$', a + 1);
  if (b == std::string_view::npos) return false;
  int iterations = 0;
  const std::string_view count = rest.substr(0, a);
  const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), iterations);
  if (ec != std::errc() || end != count.data() + count.size() || iterations < kMinIterations ||
      iterations > kMaxIterations)
    return false;
  const auto salt = unbase64(rest.substr(a + 1, b - a - 1), 64);
  const auto want = unbase64(rest.substr(b + 1), 32);
  if (!salt || !want || want->size() != 32) return false;
  Digest got{};
  if (!pbkdf2(password, bytes(*salt), iterations, got)) return false;
  return equal(got, bytes(*want));
}

}  // namespace camstream::crypto
