// crypto_test.cpp - hashes and MACs against published vectors, encodings, password hashes.
#include "shared/crypto.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace camstream {
namespace {

TEST(Crypto, Sha256AndHmacMatchPublishedVectors) {
  // FIPS 180-2's "abc", and RFC 4231's test case 1.
  EXPECT_EQ(crypto::hex(crypto::sha256(crypto::bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string key(20, '\x0b');
  EXPECT_EQ(crypto::hex(crypto::hmac_sha256(crypto::bytes(key), crypto::bytes("Hi There"))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(Crypto, Base64RoundTripsAndRefusesWhatIsNotBase64) {
  for (const std::string_view s :
       {"", "f", "fo", "foo", "foob", "fooba", "foobar", "user:pass word"}) {
    const std::string e = crypto::base64(crypto::bytes(s));
    EXPECT_EQ(e.size() % 4, 0u);
    EXPECT_EQ(crypto::unbase64(e, 100), std::string(s)) << e;
  }
  EXPECT_EQ(crypto::base64(crypto::bytes("foobar")), "Zm9vYmFy");  // RFC 4648
  for (const char* bad : {"Zm9", "Zm9v!mFy", "Zm=vYmFy", "=m9vYmFy", "Zg===", "Zm9vYg=x"})
    EXPECT_FALSE(crypto::unbase64(bad, 100)) << bad;
  EXPECT_FALSE(crypto::unbase64("Zm9vYmFy", 5)) << "over the stated bound";
}

TEST(Crypto, EqualComparesWholeSecrets) {
  EXPECT_TRUE(crypto::equal(std::string_view("secret-token"), std::string_view("secret-token")));
  EXPECT_FALSE(crypto::equal(std::string_view("secret-token"), std::string_view("secret-tokeN")));
  EXPECT_FALSE(crypto::equal(std::string_view("secret"), std::string_view("secret-token")));
}

TEST(Crypto, RandomTokensAreLongUrlSafeAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string t = crypto::random_token();
    ASSERT_EQ(t.size(), 43u);
    EXPECT_EQ(
        t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos)
        << t;
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(Crypto, PasswordHashesVerifyOnlyTheirPassword) {
  const std::string h = crypto::hash_password("correct horse", 1000);
  ASSERT_TRUE(crypto::is_password_hash(h)) << h;
  EXPECT_EQ(h.rfind("pbkdf2-sha256$1000$", 0), 0u) << h;
  EXPECT_TRUE(crypto::verify_password("correct horse", h));
  EXPECT_FALSE(crypto::verify_password("correct horsE", h));
  EXPECT_FALSE(crypto::verify_password("", h));
  EXPECT_NE(h, crypto::hash_password("correct horse", 1000)) << "salted";
  // Malformed or out-of-range hashes verify nothing (and cost no unbounded work).
  for (const std::string& bad :
       {std::string("pbkdf2-sha256$"), std::string("pbkdf2-sha256$1000$$"),
        std::string("pbkdf2-sha256$999999999$c2FsdA==$") + h.substr(h.rfind('$') + 1),
        std::string("pbkdf2-sha256$10$c2FsdA==$") + h.substr(h.rfind('$') + 1),
        std::string("pbkdf2-sha256$abc$c2FsdA==$AAAA"), std::string("plain")}) {
    EXPECT_FALSE(crypto::verify_password("correct horse", bad)) << bad;
  }
}

}  // namespace
}  // namespace camstream
