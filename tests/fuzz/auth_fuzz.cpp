// auth_fuzz.cpp - fuzzes the credentials an HTTP client presents (device/serve/access.cpp).
//
// The input up to its first newline is the Authorization field's value, the rest (if there
// is a newline) the ?token= query value as sent. Invariants beyond "no crash": "presented"
// says exactly whether anything was presented; a role is granted only when what was presented
// decodes to one of the configured secrets (checked independently here); asking twice gives
// the same answer (the cache of verified Basic passwords changes no verdict).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "device/serve/access.hpp"
#include "shared/crypto.hpp"
#include "shared/text.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using camstream::Access;
using camstream::Credentials;
using camstream::Role;

constexpr std::string_view kControl = "control-token-0123456789";
constexpr std::string_view kView = "view-token-0123456789abcd";

Credentials credentials() {
  Credentials c;
  c.control_tokens = {std::string(kControl)};
  c.view_tokens = {std::string(kView)};
  // A cheap hash: the point here is the parsing, not the key derivation.
  c.users = {{"viewer", camstream::crypto::hash_password("pass", 1000), Role::kView},
             {"owner", "plain", Role::kControl}};
  return c;
}

// What the client presented, decoded independently of Access: the secrets it names.
bool names_a_secret(std::string_view authorization, std::optional<std::string_view> query) {
  namespace text = camstream::text;
  if (query) {
    const auto t = text::percent_decode(*query, true);
    if (t && (*t == kControl || *t == kView)) return true;
  }
  const std::size_t space = authorization.find(' ');
  if (space == std::string_view::npos) return false;
  const std::string scheme = text::lower(authorization.substr(0, space));
  const std::string_view rest = text::trim(authorization.substr(space + 1));
  if (scheme == "bearer") return rest == kControl || rest == kView;
  if (scheme != "basic") return false;
  const auto decoded = camstream::crypto::unbase64(rest, 1024);
  return decoded && (*decoded == "viewer:pass" || *decoded == "owner:plain");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Access access(credentials());
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t nl = in.find('\n');
  const std::string_view authorization = in.substr(0, nl);
  std::optional<std::string_view> query;
  if (nl != std::string_view::npos) query = in.substr(nl + 1);
  bool presented = false;
  const Role role = access.http(authorization, query, presented);
  FUZZ_CHECK(presented == (!authorization.empty() || query.has_value()));
  FUZZ_CHECK((role != Role::kNone) == names_a_secret(authorization, query));
  bool again = false;
  FUZZ_CHECK(access.http(authorization, query, again) == role);
  return 0;
}
