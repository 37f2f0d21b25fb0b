// control_query.hpp - the control changes a GET URL asks for, in camstream's form and in the
// forms other streamers' users already have in their scripts.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace camstream {

// Bounds of a query the daemon decodes; the request line's own bound (2 KiB) is tighter
// still, these say what is refused even below it.
inline constexpr std::size_t kMaxQueryPairs = 64;

// The NAME=VALUE pairs a query asks to set, percent-decoded (and '+' as a space), from:
// - camstream's own  /control?quality=70&ExposureTime=10000
// - camera-streamer's /option?NAME=VALUE (it names controls in lower case: matched here to
//   `names`, the controls there are, without regard to case)
// - mjpg-streamer's  /?action=command&id=V4L2_ID&value=V, for the V4L2 controls that mean the
//   same as one of ours: horizontal and vertical flip, JPEG compression quality, and absolute
//   exposure (in 100 µs units, made microseconds for ExposureTime).
// "token" and "persist" are not controls and are skipped. False with a sentence in `error`
// for a malformed query or an mjpg-streamer id that has no counterpart here.
bool controls_from_query(std::string_view path, std::string_view query,
                         const std::vector<std::string>& names,
                         std::vector<std::pair<std::string, std::string>>& out, std::string& error);

}  // namespace camstream
