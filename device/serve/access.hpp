// access.hpp - who may watch or steer the camera: tokens and users, checked in one place for
// both dialects.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/crypto.hpp"
#include "shared/protocol.hpp"

namespace camstream {

using Role = proto::Role;

// Tokens shorter than this are refused: they could be guessed over the network.
inline constexpr std::size_t kMinTokenLength = 16;

// The owner's choice of who gets in, as the options give it.
struct Credentials {
  struct User {
    std::string name;
    std::string password;  // as given, or a hash from `camstreamd --hash-password`
    Role role = Role::kView;
  };
  std::vector<std::string> control_tokens;  // --auth-token, --auth-token-file
  std::vector<std::string> view_tokens;     // --view-token, --view-token-file
  std::vector<User> users;                  // --auth-user, --control-user (HTTP Basic)

  bool empty() const { return control_tokens.empty() && view_tokens.empty() && users.empty(); }
};

// Decides a client's role from what it presents. Without credentials the camera is open and
// every client has the control role (the daemon allows that only on loopback or with
// --no-auth). Every comparison of a secret takes time independent of where it differs. Used
// on the server's event loop only.
class Access {
 public:
  explicit Access(Credentials credentials = {});

  bool open() const { return credentials_.empty(); }

  // An HTTP request: the value of its Authorization field ("Bearer TOKEN" or "Basic ...";
  // empty when absent) and its ?token= query value as sent (percent-encoded), if any.
  // Role::kNone when nothing presented matches; `presented` says whether anything was
  // presented at all (a browser's first request carries nothing, which is no failed attempt).
  Role http(std::string_view authorization, std::optional<std::string_view> query_token,
            bool& presented);
  // A native client's answer to `nonce`: the role of the token it proves, or kNone.
  Role native(const proto::Nonce& nonce, const proto::Auth& auth) const;

 private:
  Role token_role(std::string_view token) const;
  Role basic_role(std::string_view encoded);

  Credentials credentials_;
  // Basic credentials that matched a password hash, by SHA-256 of "user:password", so that a
  // browser polling /status does not cost a key derivation each time. Bounded.
  static constexpr std::size_t kMaxVerified = 64;
  std::map<crypto::Digest, Role> verified_;
};

// Reads a secret from a file (--auth-token-file): its first line without surrounding white
// space. False with a sentence in `error` when it cannot be read or is empty.
bool read_secret_file(const std::string& path, std::string& secret, std::string& error);

}  // namespace camstream
