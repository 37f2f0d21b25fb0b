// reconnect_policy.hpp - when camview tries a camera again after its stream ended.
#pragma once

#include <chrono>
#include <optional>

namespace camstream {

struct ReconnectSettings {
  bool enabled = true;  // --no-reconnect turns it off
  // The first wait, doubled after each end in a row up to the cap. The cap bounds how long a
  // camera that came back waits for us: at 500 ms camview is back within a second of the
  // daemon, while a dead host costs one connection attempt (one SYN) every half second.
  std::chrono::milliseconds first{100};
  std::chrono::milliseconds cap{500};
};

// Pure bookkeeping, no clock: the caller says what happened and waits as told.
class ReconnectPolicy {
 public:
  explicit ReconnectPolicy(ReconnectSettings settings = {}) : settings_(settings) {}

  // A stream ended. Returns how long to wait before the next attempt, or nothing to give up:
  // reconnecting is off, or the end was `permanent` (a refused or missing token, another
  // protocol version, a peer that is not a camera), which no retry can mend.
  std::optional<std::chrono::milliseconds> after_end(bool permanent);
  // A frame arrived: the link works, so the next end starts again from the first wait.
  void live() { failures_ = 0; }

  bool enabled() const { return settings_.enabled; }

 private:
  ReconnectSettings settings_;
  int failures_ = 0;  // ends since the last frame
};

}  // namespace camstream
