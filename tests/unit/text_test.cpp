// text_test.cpp - the shared text helpers and log level names.
#include "shared/text.hpp"

#include <gtest/gtest.h>

#include "shared/log.hpp"

namespace camstream {
namespace {

TEST(Text, LowerTouchesAsciiLettersOnly) {
  EXPECT_EQ(text::lower("Content-TYPE: Image/JPEG"), "content-type: image/jpeg");
  EXPECT_EQ(text::lower("\xc3\x84x"), "\xc3\x84x");  // UTF-8 bytes stay as they are
}

TEST(Text, IequalsIgnoresCaseNotLength) {
  EXPECT_TRUE(text::iequals("Keep-Alive", "keep-alive"));
  EXPECT_FALSE(text::iequals("keep-alive", "keep-alive "));
  EXPECT_FALSE(text::iequals("close", "clone"));
}

TEST(Text, TrimTakesSpacesTabsAndCarriageReturnsFromBothEnds) {
  EXPECT_EQ(text::trim(" \t value with  inner space\t\r"), "value with  inner space");
  EXPECT_EQ(text::trim(" \r\t"), "");
  EXPECT_EQ(text::trim("\nvalue\n"), "\nvalue\n");  // a newline is not white space here
}

TEST(LogLevel, NamesParseToTheirLevelsAndNothingElseDoes) {
  const auto names = log::level_names();
  ASSERT_EQ(names.size(), 4u);
  EXPECT_EQ(log::parse_level("debug"), log::Level::kDebug);
  EXPECT_EQ(log::parse_level("info"), log::Level::kInfo);
  EXPECT_EQ(log::parse_level("warn"), log::Level::kWarn);
  EXPECT_EQ(log::parse_level("error"), log::Level::kError);
  for (const auto& n : names)
    EXPECT_TRUE(log::parse_level(n).has_value()) << n;
  EXPECT_FALSE(log::parse_level("Error").has_value());
  EXPECT_FALSE(log::parse_level("warning").has_value());
}

}  // namespace
}  // namespace camstream
