// crypto.hpp - the few cryptographic pieces camstream needs (hashes, MACs, randomness), from
// OpenSSL.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace camstream::crypto {

using Digest = std::array<std::uint8_t, 32>;

std::span<const std::uint8_t> bytes(std::string_view s);

Digest sha256(std::span<const std::uint8_t> data);
Digest hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> message);

// Fills `out` from the operating system's random source; false when it cannot (never in
// practice on Linux, but then nothing secret may be made).
bool random_bytes(std::span<std::uint8_t> out);
// 32 random bytes as base64url without padding (43 characters): a fresh secret token. Empty
// when no randomness is available.
std::string random_token();

// Compares in time that depends only on the lengths, so a secret is not guessed byte by byte
// from response times. Different lengths compare unequal at once.
bool equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);
bool equal(std::string_view a, std::string_view b);

std::string base64(std::span<const std::uint8_t> data);
// Standard base64 with padding; nothing for any other text. At most `max_out` bytes out.
std::optional<std::string> unbase64(std::string_view text, std::size_t max_out);
std::string hex(std::span<const std::uint8_t> data);

// Password hashes for the config file, so that it need not hold a password:
// "pbkdf2-sha256$ITERATIONS$SALT$HASH", salt and hash in base64. Empty when no randomness.
std::string hash_password(std::string_view password, int iterations = 100000);
bool is_password_hash(std::string_view text);
// Whether `password` matches `hash` (made by hash_password); false for a malformed hash.
bool verify_password(std::string_view password, std::string_view hash);

}  // namespace camstream::crypto
