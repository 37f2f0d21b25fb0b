// notify.cpp - sd_notify over an AF_UNIX datagram socket, and the frame-progress watchdog gate.
#include "device/notify.hpp"

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace camstream {
namespace {

bool parse_u64(const char* text, std::uint64_t& out) {
  const std::string_view s(text);
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

SystemdNotifier::SystemdNotifier(std::string socket, std::chrono::microseconds watchdog)
    : socket_(std::move(socket)), watchdog_(watchdog) {
  if (!socket_.empty()) fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

SystemdNotifier::~SystemdNotifier() {
  if (fd_ >= 0) ::close(fd_);
}

SystemdNotifier::SystemdNotifier(SystemdNotifier&& other) noexcept
    : socket_(std::move(other.socket_)),
      watchdog_(other.watchdog_),
      fd_(std::exchange(other.fd_, -1)) {
  other.socket_.clear();
}

SystemdNotifier& SystemdNotifier::operator=(SystemdNotifier&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    socket_ = std::move(other.socket_);
    other.socket_.clear();
    watchdog_ = other.watchdog_;
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

SystemdNotifier SystemdNotifier::from_environment(std::string& warning) {
  warning.clear();
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket == nullptr || *socket == '\0') return SystemdNotifier();

  std::chrono::microseconds watchdog{0};
  const char* usec = std::getenv("WATCHDOG_USEC");
  const char* pid = std::getenv("WATCHDOG_PID");
  std::uint64_t value = 0, owner = 0;
  if (usec != nullptr) {
    if (!parse_u64(usec, value) || value == 0) {
      warning = std::string("ignoring the watchdog: WATCHDOG_USEC='") + usec +
                "' is not a positive number of microseconds";
    } else if (pid != nullptr &&
               (!parse_u64(pid, owner) || owner != static_cast<std::uint64_t>(::getpid()))) {
      // The watchdog belongs to another process of the service (e.g. a wrapper script).
    } else {
      watchdog = std::chrono::microseconds(static_cast<std::int64_t>(value));
    }
  }
  return SystemdNotifier(socket, watchdog);
}

bool SystemdNotifier::send(std::string_view state, std::string& error) const {
  if (!enabled()) return true;
  if (fd_ < 0) {
    error = "cannot notify systemd: no socket could be created";
    return false;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // An abstract name keeps its leading NUL ('@' in the variable) and has no terminator.
  const bool abstract = socket_.front() == '@';
  if ((socket_.front() != '/' && !abstract) || socket_.size() >= sizeof addr.sun_path) {
    error = "cannot notify systemd: NOTIFY_SOCKET='" + socket_ +
            "' is not an absolute path or @name that fits a Unix socket address";
    return false;
  }
  std::memcpy(addr.sun_path, socket_.data(), socket_.size());
  if (abstract) addr.sun_path[0] = '\0';
  const auto len =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size() + (abstract ? 0 : 1));

  const ssize_t sent = ::sendto(fd_, state.data(), state.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&addr), len);
  if (sent < 0) {
    error = "cannot notify systemd at " + socket_ + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

bool FrameWatchdog::progressed(bool wanted, std::uint64_t captured, std::uint64_t encoded) {
  const bool moved = !wanted || (captured > captured_ && encoded > encoded_);
  captured_ = captured;
  encoded_ = encoded;
  return moved;
}

}  // namespace camstream
