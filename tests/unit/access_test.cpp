// access_test.cpp - tokens, Basic users and the native proof mapped to roles.
#include "device/serve/access.hpp"

#include <gtest/gtest.h>

namespace camstream {
namespace {

constexpr const char* kControl = "control-token-0123456789";
constexpr const char* kView = "view-token-0123456789abc";

Credentials sample() {
  Credentials c;
  c.control_tokens = {kControl};
  c.view_tokens = {kView};
  c.users = {{"viewer", crypto::hash_password("pa ss", 1000), Role::kView},
             {"owner", "plain", Role::kControl}};
  return c;
}

std::string basic(const std::string& user_password) {
  return "Basic " + crypto::base64(crypto::bytes(user_password));
}

Role http(Access& a, std::string_view authorization, std::optional<std::string_view> query = {}) {
  bool presented = false;
  return a.http(authorization, query, presented);
}

TEST(Access, WithoutCredentialsEveryoneHasControl) {
  Access open;
  EXPECT_TRUE(open.open());
  bool presented = true;
  EXPECT_EQ(open.http("", std::nullopt, presented), Role::kControl);
  EXPECT_FALSE(presented);
  EXPECT_EQ(open.native(proto::Nonce{}, proto::Auth{}), Role::kControl);
}

TEST(Access, BearerAndQueryTokensGiveTheirRole) {
  Access a(sample());
  EXPECT_EQ(http(a, std::string("Bearer ") + kControl), Role::kControl);
  EXPECT_EQ(http(a, std::string("bearer   ") + kView), Role::kView);
  EXPECT_EQ(http(a, "", kView), Role::kView);
  // Percent-encoded as a form would send it.
  EXPECT_EQ(http(a, "", "view%2Dtoken-0123456789abc"), Role::kView);
  EXPECT_EQ(http(a, "", "view-token-0123456789ab%"), Role::kNone);
  EXPECT_EQ(http(a, std::string("Bearer ") + kView + "x"), Role::kNone);
  EXPECT_EQ(http(a, std::string("Bearer") + kView), Role::kNone) << "no space after the scheme";
  EXPECT_EQ(http(a, ""), Role::kNone);
  // Presenting two, the stronger counts.
  EXPECT_EQ(http(a, std::string("Bearer ") + kView, kControl), Role::kControl);
}

TEST(Access, BasicUsersWithPlainOrHashedPasswords) {
  Access a(sample());
  EXPECT_EQ(http(a, basic("viewer:pa ss")), Role::kView);
  EXPECT_EQ(http(a, basic("viewer:pa ss")), Role::kView) << "again, from the cache";
  EXPECT_EQ(http(a, basic("owner:plain")), Role::kControl);
  EXPECT_EQ(http(a, basic("owner:plai")), Role::kNone);
  EXPECT_EQ(http(a, basic("viewer:pa sS")), Role::kNone);
  EXPECT_EQ(http(a, basic("nobody:plain")), Role::kNone);
  EXPECT_EQ(http(a, basic("owner")), Role::kNone) << "no colon";
  EXPECT_EQ(http(a, "Basic !!!!"), Role::kNone);
  // HMAC pads its key with zero bytes: "pa ss\0" must not pass for "pa ss".
  EXPECT_EQ(http(a, basic(std::string("viewer:pa ss\0", 13))), Role::kNone);
  bool presented = false;
  a.http("Basic !!!!", std::nullopt, presented);
  EXPECT_TRUE(presented) << "garbage is still an attempt";
}

TEST(Access, TheNativeProofGivesTheRoleOfItsToken) {
  Access a(sample());
  proto::Nonce nonce{};
  nonce[0] = 42;
  EXPECT_EQ(a.native(nonce, proto::Auth{proto::auth_proof(kControl, nonce)}), Role::kControl);
  EXPECT_EQ(a.native(nonce, proto::Auth{proto::auth_proof(kView, nonce)}), Role::kView);
  proto::Nonce other = nonce;
  other[1] = 1;
  EXPECT_EQ(a.native(nonce, proto::Auth{proto::auth_proof(kView, other)}), Role::kNone)
      << "a proof for another nonce is a replay";
  EXPECT_EQ(a.native(nonce, proto::Auth{proto::auth_proof("owner", nonce)}), Role::kNone)
      << "Basic users have no native proof";
}

}  // namespace
}  // namespace camstream
