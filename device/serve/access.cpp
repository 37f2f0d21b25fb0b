// access.cpp - tokens (Bearer, ?token=, the native proof) and HTTP Basic users to a role.
#include "device/serve/access.hpp"

#include <algorithm>
#include <fstream>

#include "shared/text.hpp"

namespace camstream {
namespace {

// Whether `scheme` starts `value` as an auth-scheme ("Bearer xyz"), case-insensitively.
std::optional<std::string_view> credentials_of(std::string_view value, std::string_view scheme) {
  if (value.size() <= scheme.size() || !text::iequals(value.substr(0, scheme.size()), scheme) ||
      value[scheme.size()] != ' ') {
    return std::nullopt;
  }
  return text::trim(value.substr(scheme.size() + 1));
}

Role stronger(Role a, Role b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

}  // namespace

Access::Access(Credentials credentials) : credentials_(std::move(credentials)) {}

Role Access::token_role(std::string_view token) const {
  // Every token is compared, whichever matches, so the time taken does not tell which list
  // (or whether any) holds it.
  Role role = Role::kNone;
  for (const std::string& t : credentials_.control_tokens) {
    if (crypto::equal(t, token)) role = stronger(role, Role::kControl);
  }
  for (const std::string& t : credentials_.view_tokens) {
    if (crypto::equal(t, token)) role = stronger(role, Role::kView);
  }
  return role;
}

Role Access::basic_role(std::string_view encoded) {
  const auto decoded = crypto::unbase64(encoded, 1024);
  // No user name or password holds control characters; refusing them also keeps HMAC's
  // zero-padding of keys from letting "pass\0" stand for "pass" in the key derivation.
  if (!decoded || std::any_of(decoded->begin(), decoded->end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
      })) {
    return Role::kNone;
  }
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return Role::kNone;
  const std::string_view name = std::string_view(*decoded).substr(0, colon);
  const std::string_view password = std::string_view(*decoded).substr(colon + 1);
  const crypto::Digest key = crypto::sha256(crypto::bytes(*decoded));
  if (const auto it = verified_.find(key); it != verified_.end()) return it->second;
  Role role = Role::kNone;
  for (const Credentials::User& u : credentials_.users) {
    if (!crypto::equal(u.name, name)) continue;
    const bool hashed = crypto::is_password_hash(u.password);
    if (hashed ? crypto::verify_password(password, u.password)
               : crypto::equal(u.password, password)) {
      role = stronger(role, u.role);
    }
    if (hashed && role != Role::kNone && verified_.size() < kMaxVerified) verified_[key] = role;
  }
  return role;
}

Role Access::http(std::string_view authorization, std::optional<std::string_view> query_token,
                  bool& presented) {
  presented = !authorization.empty() || query_token.has_value();
  if (open()) return Role::kControl;
  Role role = Role::kNone;
  if (const auto bearer = credentials_of(authorization, "Bearer")) {
    role = stronger(role, token_role(*bearer));
  } else if (const auto basic = credentials_of(authorization, "Basic")) {
    role = stronger(role, basic_role(*basic));
  }
  if (query_token) {
    if (const auto token = text::percent_decode(*query_token, true))
      role = stronger(role, token_role(*token));
  }
  return role;
}

Role Access::native(const proto::Nonce& nonce, const proto::Auth& auth) const {
  if (open()) return Role::kControl;
  Role role = Role::kNone;
  for (const std::string& t : credentials_.control_tokens) {
    if (crypto::equal(proto::auth_proof(t, nonce), auth.proof))
      role = stronger(role, Role::kControl);
  }
  for (const std::string& t : credentials_.view_tokens) {
    if (crypto::equal(proto::auth_proof(t, nonce), auth.proof)) role = stronger(role, Role::kView);
  }
  return role;
}

bool read_secret_file(const std::string& path, std::string& secret, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read the secret file " + path + "; check that it exists and is readable";
    return false;
  }
  std::string line;
  std::getline(in, line);
  secret = std::string(text::trim(line));
  if (secret.empty()) {
    error = "the secret file " + path + " is empty; put the token on its first line";
    return false;
  }
  return true;
}

}  // namespace camstream
