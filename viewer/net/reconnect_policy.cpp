// reconnect_policy.cpp - capped exponential backoff and the decision to give up.
#include "viewer/net/reconnect_policy.hpp"

#include <algorithm>

namespace camstream {

std::optional<std::chrono::milliseconds> ReconnectPolicy::after_end(bool permanent) {
  if (!settings_.enabled || permanent) return std::nullopt;
  std::chrono::milliseconds wait = settings_.first;
  // Doubling stops at the cap, long before the shift could overflow.
  for (int i = 0; i < failures_ && wait < settings_.cap; ++i)
    wait *= 2;
  ++failures_;
  return std::min(wait, settings_.cap);
}

}  // namespace camstream
