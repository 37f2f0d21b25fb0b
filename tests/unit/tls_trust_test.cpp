// tls_trust_test.cpp - fingerprints as users paste them, and trust on first use.
#include "shared/tls_trust.hpp"

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

namespace camstream {
namespace {

const std::string kA(64, 'a');
const std::string kB = std::string(62, 'b') + "0f";

TEST(Fingerprint, TakesEveryWayUsersWriteIt) {
  const std::string colons = display_fingerprint(kB);
  EXPECT_EQ(colons.substr(0, 6), "BB:BB:");
  EXPECT_EQ(colons.size(), 95u);
  EXPECT_EQ(normalize_fingerprint(colons), kB);
  EXPECT_EQ(normalize_fingerprint("SHA256:" + colons), kB);
  EXPECT_EQ(normalize_fingerprint("  " + kB + "\n"), kB);
  EXPECT_FALSE(normalize_fingerprint(kB.substr(2)));        // too short
  EXPECT_FALSE(normalize_fingerprint(kB + "00"));           // too long
  EXPECT_FALSE(normalize_fingerprint(kB.substr(1) + "g"));  // not hex
}

TEST(KnownHosts, RemembersTheFirstAndRefusesAChange) {
  std::string dir = "/tmp/camstream-known-XXXXXX";
  ASSERT_TRUE(::mkdtemp(dir.data()));
  KnownHosts known(dir + "/sub/known_hosts");
  std::string remembered, error;
  EXPECT_EQ(known.check("cam:8080", kA, remembered, error), KnownHosts::Verdict::kNew) << error;
  EXPECT_EQ(known.check("cam:8080", kA, remembered, error), KnownHosts::Verdict::kKnown);
  EXPECT_EQ(known.check("cam:8080", kB, remembered, error), KnownHosts::Verdict::kChanged);
  EXPECT_EQ(remembered, kA) << "says what it expected";
  EXPECT_EQ(known.check("other:8080", kB, remembered, error), KnownHosts::Verdict::kNew);
  EXPECT_EQ(known.check("other:8080", kB, remembered, error), KnownHosts::Verdict::kKnown);
  std::system(("rm -rf '" + dir + "'").c_str());
}

TEST(KnownHosts, AFileThatCannotBeWrittenIsSaid) {
  KnownHosts known("/proc/no/such/known_hosts");
  std::string remembered, error;
  EXPECT_EQ(known.check("cam:8080", kA, remembered, error), KnownHosts::Verdict::kUnusable);
  EXPECT_NE(error.find("/proc/no/such"), std::string::npos) << error;
}

}  // namespace
}  // namespace camstream
