// text.hpp - the few text helpers every parser here needs (HTTP, URLs, the config file).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace camstream::text {

// ASCII lower case; other bytes unchanged (HTTP field names and schemes are ASCII).
std::string lower(std::string_view s);
// Case-insensitive ASCII comparison.
bool iequals(std::string_view a, std::string_view b);
// Without leading and trailing spaces, tabs and carriage returns (HTTP's optional white space,
// a config line from a file with CRLF line ends).
std::string_view trim(std::string_view s);
// "%41b" -> "Ab"; with `plus_is_space` (a query's form encoding) '+' is a space. Nothing when
// a '%' is not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space = false);

}  // namespace camstream::text
