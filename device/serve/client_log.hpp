// client_log.hpp - log lines about clients, rate-limited per address so that a crowd cannot
// flood the log.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "shared/log.hpp"

namespace camstream {

// Every line the server writes about a client goes through here, keyed by the client's
// address (limit_key in address_limit.hpp). Within an interval each address gets a few lines
// and all addresses together a few more; the rest are held back, counted, and summed up in one
// line when lines flow again. Without it one host opening and dropping sockets wrote a line
// each time: 200 000 lines in 8 s, and 855 MB in 20 s when accept() failed in a loop (issue 10).
// Not thread-safe: the server's event loop owns it.
class ClientLog {
 public:
  struct Limits {
    int per_address = 5;  // lines about one address per interval
    // Lines about all clients together per interval: a crowd from many addresses writes
    // about two lines a second, plus one summary per interval.
    int overall = 20;
    std::chrono::milliseconds interval{10000};
    // Addresses remembered at once; beyond it only the overall limit applies to new ones, so
    // a sweep over many addresses costs no memory.
    std::size_t max_addresses = 1024;
  };
  using Sink = std::function<void(log::Level, std::string_view)>;

  // `sink` receives the lines let through (default: the process log).
  explicit ClientLog(Limits limits, Sink sink = &log::write);
  ClientLog() : ClientLog(Limits{}) {}

  // Writes `message` unless `key`'s address or all clients together had their lines in this
  // interval, or the level is below the log's. `now_us` is on the monotonic clock.
  void write(log::Level level, const std::string& key, std::string_view message,
             std::uint64_t now_us);
  void write(log::Level level, const std::string& key, std::string_view message);

  // Writes the line that sums up what was held back since the last line let through, if
  // anything was; the owner calls it when an interval is over, so the log says so even when no
  // further line comes.
  void flush();
  // Whether lines were held back that no summary has mentioned yet.
  bool holding() const { return held_back_ > 0; }
  // Lines held back since the start.
  std::uint64_t held_back() const { return held_back_total_; }
  std::chrono::milliseconds interval() const { return limits_.interval; }

 private:
  struct Window {
    std::uint64_t start_us = 0;
    int lines = 0;
  };
  // Starts a new interval for `w` if its own is over.
  void roll(Window& w, std::uint64_t now_us) const;

  Limits limits_;
  Sink sink_;
  std::uint64_t interval_us_;
  std::unordered_map<std::string, Window> addresses_;
  Window overall_;
  std::uint64_t next_sweep_us_ = 0;  // no sweep of addresses_ before this
  std::uint64_t held_back_ = 0;      // since the last line let through
  std::uint64_t held_back_total_ = 0;
};

}  // namespace camstream
