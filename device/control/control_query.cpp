// control_query.cpp - GET URLs that set controls: camstream's, camera-streamer's and
// mjpg-streamer's.
#include "device/control/control_query.hpp"

#include <charconv>
#include <optional>

#include "shared/text.hpp"

namespace camstream {
namespace {

// mjpg-streamer's input_uvc ids (V4L2 control ids) with a control here that means the same.
struct V4l2Mapping {
  long long id;
  const char* name;
  long long scale;  // our value = theirs * scale
};
constexpr V4l2Mapping kV4l2[] = {
    {0x00980914, "hflip", 1},           // V4L2_CID_HFLIP
    {0x00980915, "vflip", 1},           // V4L2_CID_VFLIP
    {0x009d0903, "quality", 1},         // V4L2_CID_JPEG_COMPRESSION_QUALITY
    {0x009a0902, "ExposureTime", 100},  // V4L2_CID_EXPOSURE_ABSOLUTE, in 100 µs
};

}  // namespace

bool controls_from_query(std::string_view path, std::string_view query,
                         const std::vector<std::string>& names,
                         std::vector<std::pair<std::string, std::string>>& out,
                         std::string& error) {
  out.clear();
  std::vector<std::pair<std::string, std::string>> pairs;
  std::string_view rest = query;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) continue;
    if (pairs.size() >= kMaxQueryPairs) {
      error = "at most " + std::to_string(kMaxQueryPairs) + " NAME=VALUE pairs in one request";
      return false;
    }
    const std::size_t eq = pair.find('=');
    const auto key = text::percent_decode(pair.substr(0, eq), true);
    const auto value = text::percent_decode(
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (!key || !value) {
      error = "the query has a malformed %-escape";
      return false;
    }
    if (eq == std::string_view::npos) {
      error = "'" + *key + "' has no value; write NAME=VALUE";
      return false;
    }
    pairs.emplace_back(*key, *value);
  }

  const auto find = [&](const char* key) -> std::optional<std::string> {
    for (const auto& [k, v] : pairs) {
      if (k == key) return v;
    }
    return std::nullopt;
  };
  if (path == "/") {
    // mjpg-streamer: /?action=command&dest=0&plugin=0&id=ID&group=1&value=V
    const auto id_text = find("id");
    const auto value_text = find("value");
    if (!id_text || !value_text) {
      error = "?action=command needs id= and value= (mjpg-streamer's form)";
      return false;
    }
    long long id = 0, value = 0;
    const auto parse = [](const std::string& s, long long& v) {
      const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      return ec == std::errc() && ptr == s.data() + s.size();
    };
    if (!parse(*id_text, id) || !parse(*value_text, value)) {
      error = "id and value must be whole numbers";
      return false;
    }
    for (const V4l2Mapping& m : kV4l2) {
      if (m.id != id) continue;
      out.emplace_back(m.name, std::to_string(value * m.scale));
      return true;
    }
    error = "control id " + *id_text +
            " has no counterpart here (the mjpg-streamer ids taken are horizontal and vertical "
            "flip, JPEG quality and absolute exposure); use /control?NAME=VALUE with a name "
            "from GET /controls";
    return false;
  }
  for (auto& [key, value] : pairs) {
    if (key == "token" || key == "persist") continue;
    std::string name = key;
    if (path == "/option") {
      // camera-streamer's names are lower case: "exposuretime" is ExposureTime.
      for (const std::string& n : names) {
        if (text::iequals(n, key)) name = n;
      }
    }
    out.emplace_back(std::move(name), std::move(value));
  }
  return true;
}

}  // namespace camstream
