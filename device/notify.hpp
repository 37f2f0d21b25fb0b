// notify.hpp - systemd's readiness and watchdog protocol ($NOTIFY_SOCKET), without libsystemd.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace camstream {

// Sends sd_notify(3) state lines ("READY=1", "WATCHDOG=1", ...) as datagrams to the socket
// systemd names in $NOTIFY_SOCKET. Not started by systemd (no socket): every send is a
// successful no-op, so callers need no special case. Safe to use from several threads.
class SystemdNotifier {
 public:
  SystemdNotifier() = default;
  // `socket` as systemd writes it: an absolute path, or "@name" for the abstract namespace.
  // `watchdog` 0 means no watchdog was asked for.
  explicit SystemdNotifier(std::string socket, std::chrono::microseconds watchdog = {});
  ~SystemdNotifier();
  SystemdNotifier(SystemdNotifier&& other) noexcept;
  SystemdNotifier& operator=(SystemdNotifier&& other) noexcept;
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  // From $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID. A watchdog meant for another
  // process (WATCHDOG_PID not ours) is ignored; a malformed value disables the watchdog and
  // sets `warning` to a sentence saying so (empty otherwise).
  static SystemdNotifier from_environment(std::string& warning);

  bool enabled() const { return !socket_.empty(); }
  // How often systemd expects WATCHDOG=1 at the latest; 0 = no watchdog.
  std::chrono::microseconds watchdog_timeout() const { return watchdog_; }

  // Sends `state` (newline-separated assignments) in one datagram. On failure returns false
  // and sets `error`; a daemon goes on serving after a failed notification.
  bool send(std::string_view state, std::string& error) const;

 private:
  std::string socket_;
  std::chrono::microseconds watchdog_{0};
  int fd_ = -1;
};

// Decides when the watchdog may be fed: while frames are wanted, only when frames keep being
// captured and encoded, so a stuck capture thread or encoder stops the pings and systemd
// restarts the service. While nobody wants frames the pipeline idles by design and is fed.
class FrameWatchdog {
 public:
  // Call once per watchdog tick with whether frames are wanted now and the running totals;
  // true when the watchdog may be fed. Totals are compared with the previous call's (zero at
  // first).
  bool progressed(bool wanted, std::uint64_t captured, std::uint64_t encoded);

 private:
  std::uint64_t captured_ = 0;
  std::uint64_t encoded_ = 0;
};

}  // namespace camstream
