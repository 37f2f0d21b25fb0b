// config_fuzz.cpp - fuzzes camstreamd's config file parser (device/config).
//
// Invariants beyond "no crash": every entry accepted has a key of [a-z0-9-] starting with a
// letter, a value that is not empty and holds no newline or NUL, and a line number within the
// text, increasing; the entries written back as `key = "value"` lines parse to the same
// entries; a refusal names the file and a line of the text.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "device/config.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

const std::string kPath = "fuzz.conf";

bool key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The daemon never parses more than that (load_config_file refuses a larger file).
  if (size > camstream::kMaxConfigBytes) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;

  std::vector<camstream::ConfigEntry> entries;
  std::string error;
  if (!camstream::parse_config_text(text, kPath, entries, error)) {
    FUZZ_CHECK(error.starts_with(kPath + ":"));
    const int line = std::atoi(error.c_str() + kPath.size() + 1);
    FUZZ_CHECK(line >= 1 && line <= lines);
    return 0;
  }
  FUZZ_CHECK(error.empty());

  int previous = 0;
  std::string written;
  for (const auto& e : entries) {
    FUZZ_CHECK(!e.key.empty() && e.key.front() >= 'a' && e.key.front() <= 'z');
    FUZZ_CHECK(std::all_of(e.key.begin(), e.key.end(), key_char));
    FUZZ_CHECK(!e.value.empty());
    FUZZ_CHECK(e.value.find_first_of(std::string_view("\n\0", 2)) == std::string::npos);
    FUZZ_CHECK(e.line > previous && e.line <= lines);
    previous = e.line;
    written += e.key + " = \"" + e.value + "\"\n";
  }

  std::vector<camstream::ConfigEntry> again;
  FUZZ_CHECK(camstream::parse_config_text(written, kPath, again, error));
  FUZZ_CHECK(again.size() == entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    FUZZ_CHECK(again[i].key == entries[i].key);
    FUZZ_CHECK(again[i].value == entries[i].value);
    FUZZ_CHECK(again[i].line == static_cast<int>(i) + 1);
  }
  return 0;
}
