// client_log.cpp - per-address and overall line budgets over a fixed interval.
#include "device/serve/client_log.hpp"

#include <iterator>

#include "shared/clock.hpp"

namespace camstream {

ClientLog::ClientLog(Limits limits, Sink sink)
    : limits_(limits),
      sink_(std::move(sink)),
      interval_us_(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(limits.interval).count())) {}

void ClientLog::roll(Window& w, std::uint64_t now_us) const {
  if (w.lines == 0 || now_us >= w.start_us + interval_us_) {
    w.start_us = now_us;
    w.lines = 0;
  }
}

void ClientLog::write(log::Level level, const std::string& key, std::string_view message) {
  write(level, key, message, monotonic_us());
}

void ClientLog::write(log::Level level, const std::string& key, std::string_view message,
                      std::uint64_t now_us) {
  if (level < log::level()) return;
  roll(overall_, now_us);
  auto it = addresses_.find(key);
  if (it == addresses_.end()) {
    if (addresses_.size() >= limits_.max_addresses && now_us >= next_sweep_us_) {
      // Forget the addresses whose interval is over; they would start afresh anyway. At most
      // once a tenth of an interval: a sweep over many addresses must not cost a scan a line.
      for (auto i = addresses_.begin(); i != addresses_.end();) {
        i = now_us >= i->second.start_us + interval_us_ ? addresses_.erase(i) : std::next(i);
      }
      next_sweep_us_ = now_us + interval_us_ / 10;
    }
    if (addresses_.size() < limits_.max_addresses) it = addresses_.emplace(key, Window{}).first;
  }
  Window* address = it == addresses_.end() ? nullptr : &it->second;
  if (address != nullptr) roll(*address, now_us);
  const bool over_address = address != nullptr && address->lines >= limits_.per_address;
  if (over_address || overall_.lines >= limits_.overall) {
    ++held_back_;
    ++held_back_total_;
    return;
  }
  if (address != nullptr) ++address->lines;
  ++overall_.lines;
  flush();
  sink_(level, message);
}

void ClientLog::flush() {
  if (held_back_ == 0) return;
  sink_(log::Level::kWarn, std::to_string(held_back_) +
                               " more lines about clients were held back (at most " +
                               std::to_string(limits_.per_address) + " per address and " +
                               std::to_string(limits_.overall) + " in all every " +
                               std::to_string(interval_us_ / 1000000) + " s)");
  held_back_ = 0;
}

}  // namespace camstream
