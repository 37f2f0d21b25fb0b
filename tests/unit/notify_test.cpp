// notify_test.cpp - sd_notify against a datagram socket standing in for systemd's $NOTIFY_SOCKET.
#include "device/notify.hpp"

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace camstream {
namespace {

using namespace std::chrono_literals;

// What systemd does for a Type=notify service: a bound AF_UNIX datagram socket, at a path
// or (as systemd itself uses) under an abstract name.
class FakeSystemd {
 public:
  explicit FakeSystemd(bool abstract) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    const std::string unique =
        "camstream-notify-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    socklen_t len = 0;
    if (abstract) {
      name_ = "@" + unique;
      std::memcpy(addr.sun_path + 1, unique.data(), unique.size());
      len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + unique.size());
    } else {
      const char* tmp = std::getenv("TMPDIR");
      path_ = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + unique;
      name_ = path_;
      std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
      len = sizeof addr;
    }
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), len) != 0)
      throw std::runtime_error("bind failed: " + std::string(std::strerror(errno)));
  }
  ~FakeSystemd() {
    ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  const std::string& name() const { return name_; }

  // The next datagram, or nothing within 10 s.
  std::optional<std::string> receive() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 10000) != 1) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  static inline int counter_ = 0;
  int fd_ = -1;
  std::string name_, path_;
};

// Sets environment variables for one test and puts the old values back.
class ScopedEnv {
 public:
  void set(const char* name, const char* value) {
    const char* old = std::getenv(name);
    saved_.push_back({name, old ? std::optional<std::string>(old) : std::nullopt});
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second)
        ::setenv(it->first.c_str(), it->second->c_str(), 1);
      else
        ::unsetenv(it->first.c_str());
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(SystemdNotifier, SendsToAPathSocket) {
  FakeSystemd systemd(false);
  const SystemdNotifier n(systemd.name());
  ASSERT_TRUE(n.enabled());
  std::string error;
  ASSERT_TRUE(n.send("READY=1\nSTATUS=serving on 0.0.0.0:8080", error)) << error;
  EXPECT_EQ(systemd.receive(), "READY=1\nSTATUS=serving on 0.0.0.0:8080");
  ASSERT_TRUE(n.send("WATCHDOG=1", error)) << error;
  EXPECT_EQ(systemd.receive(), "WATCHDOG=1");
}

TEST(SystemdNotifier, SendsToAnAbstractSocket) {
  FakeSystemd systemd(true);
  const SystemdNotifier n(systemd.name());
  std::string error;
  ASSERT_TRUE(n.send("READY=1", error)) << error;
  EXPECT_EQ(systemd.receive(), "READY=1");
}

TEST(SystemdNotifier, WithoutASocketEverySendIsANoOp) {
  const SystemdNotifier n;
  EXPECT_FALSE(n.enabled());
  EXPECT_EQ(n.watchdog_timeout(), 0us);
  std::string error;
  EXPECT_TRUE(n.send("READY=1", error));
  EXPECT_TRUE(error.empty());
}

TEST(SystemdNotifier, AGoneSocketIsAnErrorNamingIt) {
  std::string gone;
  {
    FakeSystemd systemd(false);
    gone = systemd.name();
  }
  const SystemdNotifier n(gone);
  std::string error;
  EXPECT_FALSE(n.send("READY=1", error));
  EXPECT_NE(error.find(gone), std::string::npos) << error;
}

TEST(SystemdNotifier, ARelativeOrOverlongAddressIsRefused) {
  std::string error;
  EXPECT_FALSE(SystemdNotifier("run/notify").send("READY=1", error));
  EXPECT_NE(error.find("run/notify"), std::string::npos) << error;
  EXPECT_FALSE(SystemdNotifier("/" + std::string(200, 'x')).send("READY=1", error));
}

TEST(SystemdNotifier, MovesKeepTheSocket) {
  FakeSystemd systemd(true);
  SystemdNotifier a(systemd.name(), 3s);
  SystemdNotifier b(std::move(a));
  EXPECT_FALSE(a.enabled());  // NOLINT(bugprone-use-after-move): the moved-from state is defined
  ASSERT_TRUE(b.enabled());
  EXPECT_EQ(b.watchdog_timeout(), 3s);
  SystemdNotifier c;
  c = std::move(b);
  std::string error;
  ASSERT_TRUE(c.send("STOPPING=1", error)) << error;
  EXPECT_EQ(systemd.receive(), "STOPPING=1");
}

TEST(SystemdNotifier, FromEnvironmentReadsSocketAndWatchdog) {
  FakeSystemd systemd(true);
  ScopedEnv env;
  env.set("NOTIFY_SOCKET", systemd.name().c_str());
  env.set("WATCHDOG_USEC", "2500000");
  const std::string pid = std::to_string(::getpid());
  env.set("WATCHDOG_PID", pid.c_str());
  std::string warning;
  const SystemdNotifier n = SystemdNotifier::from_environment(warning);
  EXPECT_TRUE(warning.empty()) << warning;
  ASSERT_TRUE(n.enabled());
  EXPECT_EQ(n.watchdog_timeout(), 2500ms);
  std::string error;
  ASSERT_TRUE(n.send("READY=1", error)) << error;
  EXPECT_EQ(systemd.receive(), "READY=1");
}

TEST(SystemdNotifier, WatchdogWithoutPidIsOurs) {
  ScopedEnv env;
  env.set("NOTIFY_SOCKET", "@x");
  env.set("WATCHDOG_USEC", "1000000");
  env.set("WATCHDOG_PID", nullptr);
  std::string warning;
  EXPECT_EQ(SystemdNotifier::from_environment(warning).watchdog_timeout(), 1s);
}

TEST(SystemdNotifier, AWatchdogForAnotherProcessIsIgnored) {
  ScopedEnv env;
  env.set("NOTIFY_SOCKET", "@x");
  env.set("WATCHDOG_USEC", "1000000");
  const std::string other = std::to_string(::getpid() + 1);
  env.set("WATCHDOG_PID", other.c_str());
  std::string warning;
  const SystemdNotifier n = SystemdNotifier::from_environment(warning);
  EXPECT_TRUE(n.enabled());
  EXPECT_EQ(n.watchdog_timeout(), 0us);
  EXPECT_TRUE(warning.empty()) << warning;
}

TEST(SystemdNotifier, AMalformedWatchdogIsIgnoredWithAWarning) {
  for (const char* bad : {"soon", "0", "-5", "12abc", ""}) {
    ScopedEnv env;
    env.set("NOTIFY_SOCKET", "@x");
    env.set("WATCHDOG_USEC", bad);
    env.set("WATCHDOG_PID", nullptr);
    std::string warning;
    const SystemdNotifier n = SystemdNotifier::from_environment(warning);
    EXPECT_EQ(n.watchdog_timeout(), 0us) << bad;
    EXPECT_NE(warning.find("WATCHDOG_USEC"), std::string::npos) << bad;
  }
}

TEST(SystemdNotifier, NoSocketInTheEnvironmentMeansDisabled) {
  ScopedEnv env;
  env.set("NOTIFY_SOCKET", nullptr);
  env.set("WATCHDOG_USEC", "1000000");
  std::string warning;
  EXPECT_FALSE(SystemdNotifier::from_environment(warning).enabled());
}

TEST(FrameWatchdog, WhileFramesAreWantedFedOnlyWhenCaptureAndEncodingBothMove) {
  FrameWatchdog w;
  EXPECT_FALSE(w.progressed(true, 0, 0));  // nothing yet: the camera has not delivered
  EXPECT_TRUE(w.progressed(true, 5, 4));   // frames flow
  EXPECT_TRUE(w.progressed(true, 9, 8));
  EXPECT_FALSE(w.progressed(true, 9, 8));    // capture is stuck
  EXPECT_FALSE(w.progressed(true, 20, 8));   // frames come but the encoders are stuck
  EXPECT_TRUE(w.progressed(true, 25, 12));   // flowing again
  EXPECT_FALSE(w.progressed(true, 25, 20));  // encoders drain a backlog, nothing captured
}

TEST(FrameWatchdog, AnIdlePipelineIsFed) {
  FrameWatchdog w;
  EXPECT_TRUE(w.progressed(false, 0, 0));  // no client: capture sleeps on purpose
  EXPECT_TRUE(w.progressed(false, 0, 0));
  EXPECT_TRUE(w.progressed(true, 3, 2));   // a client came and frames flow
  EXPECT_TRUE(w.progressed(false, 3, 2));  // it left
  EXPECT_FALSE(w.progressed(true, 3, 2));  // another came and nothing is captured
}

}  // namespace
}  // namespace camstream
