// text.hpp - the few text helpers every parser here needs (HTTP, URLs, the config file).
#pragma once

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

}  // namespace camstream::text
