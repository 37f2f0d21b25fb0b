// options_test.cpp - camstreamd's command line: defaults, good values and each bad value.
#include "device/options.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "device/capture/libcamera_device.hpp"
#include "device/serve/session.hpp"
#include "shared/version.hpp"

namespace camstream {
namespace {

ParseResult parse(std::vector<std::string> args) {
  args.insert(args.begin(), "camstreamd");
  return parse_daemon_options(args);
}

TEST(DaemonOptions, Defaults) {
  const ParseResult r = parse({});
  ASSERT_FALSE(r.exit) << r.output;
  EXPECT_EQ(r.options.source, "auto");
  EXPECT_EQ(r.options.width, 1280);
  EXPECT_EQ(r.options.height, 720);
  EXPECT_DOUBLE_EQ(r.options.fps, 30.0);
  EXPECT_EQ(r.options.quality, 80);
  EXPECT_EQ(r.options.listen.port, 8080);
  EXPECT_EQ(r.options.listen.host, "0.0.0.0");
  EXPECT_GE(r.options.workers, 1);
  EXPECT_LE(r.options.workers, 4);
  EXPECT_DOUBLE_EQ(r.options.stats_interval, 0.0);
  EXPECT_EQ(r.options.log_level, log::Level::kInfo);
  // The server's own defaults, so that a flag left out changes nothing.
  const ServerLimits limits;
  EXPECT_EQ(r.options.max_clients, limits.max_clients);
  EXPECT_EQ(r.options.max_handshakes, limits.max_handshakes);
  EXPECT_EQ(r.options.max_per_address, limits.max_per_address);
  EXPECT_DOUBLE_EQ(r.options.handshake_timeout * 1000, limits.handshake_timeout.count());
  EXPECT_DOUBLE_EQ(r.options.write_timeout * 1000, limits.write_timeout.count());
}

TEST(DaemonOptions, Limits) {
  const ParseResult r = parse({"--max-clients", "10", "--max-handshakes", "3", "--max-per-address",
                               "0", "--handshake-timeout", "0.5", "--write-timeout", "2.5"});
  ASSERT_FALSE(r.exit) << r.output;
  EXPECT_EQ(r.options.max_clients, 10);
  EXPECT_EQ(r.options.max_handshakes, 3);
  EXPECT_EQ(r.options.max_per_address, 0);
  EXPECT_DOUBLE_EQ(r.options.handshake_timeout, 0.5);
  EXPECT_DOUBLE_EQ(r.options.write_timeout, 2.5);
}

TEST(DaemonOptions, GoodValues) {
  const ParseResult r =
      parse({"--size", "640x480", "--fps", "0", "--quality", "100", "--workers", "3", "--listen",
             "[::1]:0", "--stats", "2.5", "--log-level", "debug"});
  ASSERT_FALSE(r.exit) << r.output;
  EXPECT_EQ(r.options.width, 640);
  EXPECT_EQ(r.options.height, 480);
  EXPECT_DOUBLE_EQ(r.options.fps, 0.0);
  EXPECT_EQ(r.options.quality, 100);
  EXPECT_EQ(r.options.workers, 3);
  EXPECT_EQ(r.options.listen.host, "::1");
  EXPECT_EQ(r.options.listen.port, 0);
  EXPECT_DOUBLE_EQ(r.options.stats_interval, 2.5);
  EXPECT_EQ(r.options.log_level, log::Level::kDebug);
}

TEST(DaemonOptions, EqualsSyntaxAndListenHostPort) {
  const ParseResult r = parse({"--size=320x240", "--quality=1", "--listen=127.0.0.1:9000"});
  ASSERT_FALSE(r.exit) << r.output;
  EXPECT_EQ(r.options.width, 320);
  EXPECT_EQ(r.options.height, 240);
  EXPECT_EQ(r.options.quality, 1);
  EXPECT_EQ(r.options.listen.host, "127.0.0.1");
  EXPECT_EQ(r.options.listen.port, 9000);
}

struct Bad {
  std::vector<std::string> args;
  const char* option;  // the error must name it
};

TEST(DaemonOptions, EachBadValueExitsNamingTheOption) {
  const Bad cases[] = {
      {{"--size", "abc"}, "--size"},
      {{"--size", "100x50"}, "--size"},
      {{"--size", "641x480"}, "--size"},
      {{"--size", "640x481"}, "--size"},
      {{"--size", "8192x8192"}, "--size"},
      {{"--size", "640x"}, "--size"},
      {{"--fps", "-1"}, "--fps"},
      {{"--fps=-1"}, "--fps"},
      {{"--fps", "1000"}, "--fps"},
      {{"--fps", "fast"}, "--fps"},
      {{"--quality", "0"}, "--quality"},
      {{"--quality", "101"}, "--quality"},
      {{"--workers", "0"}, "--workers"},
      {{"--listen", "host:99999"}, "--listen"},
      {{"--listen", "localhost"}, "--listen"},
      {{"--listen", ""}, "--listen"},
      {{"--source", "webcam"}, "--source"},
      {{"--log-level", "loud"}, "--log-level"},
      {{"--max-clients", "0"}, "--max-clients"},
      {{"--max-handshakes", "0"}, "--max-handshakes"},
      {{"--max-per-address", "-1"}, "--max-per-address"},
      {{"--handshake-timeout", "0"}, "--handshake-timeout"},
      {{"--write-timeout", "0"}, "--write-timeout"},
      {{"--write-timeout", "soon"}, "--write-timeout"},
      {{"--tls", "on"}, "--tls"},
      {{"--tls-cert", "/etc/c.pem"}, "--tls-key"},
      {{"--tls-key", "/etc/k.pem"}, "--tls-cert"},
  };
  for (const auto& c : cases) {
    const ParseResult r = parse(c.args);
    std::string joined;
    for (const auto& a : c.args)
      joined += a + " ";
    EXPECT_TRUE(r.exit) << joined;
    EXPECT_NE(r.exit_code, 0) << joined;
    EXPECT_NE(r.output.find(c.option), std::string::npos)
        << joined << "-> error does not name " << c.option << ": " << r.output;
  }
}

TEST(DaemonOptions, Tls) {
  EXPECT_EQ(parse({}).options.tls.mode, "off");
  ParseResult r = parse({"--tls", "auto", "--state-dir", "/srv/cam"});
  ASSERT_FALSE(r.exit) << r.output;
  EXPECT_EQ(r.options.tls.mode, "auto");
  EXPECT_EQ(r.options.tls.state_dir, "/srv/cam");
  // A certificate of one's own takes the place of auto's, as the shipped config has tls = auto.
  r = parse({"--tls", "auto", "--tls-cert", "/etc/c.pem", "--tls-key", "/etc/k.pem"});
  ASSERT_FALSE(r.exit) << r.output;
  EXPECT_EQ(r.options.tls.mode, "files");
  EXPECT_EQ(r.options.tls.cert_file, "/etc/c.pem");
  EXPECT_EQ(r.options.tls.key_file, "/etc/k.pem");
}

TEST(DaemonOptions, SizeErrorsSayWhy) {
  EXPECT_NE(parse({"--size", "641x480"}).output.find("odd"), std::string::npos);
  EXPECT_NE(parse({"--size", "100x50"}).output.find("range"), std::string::npos);
  EXPECT_NE(parse({"--size", "abc"}).output.find("WIDTHxHEIGHT"), std::string::npos);
}

TEST(DaemonOptions, UnknownFlagIsAnError) {
  const ParseResult r = parse({"--frobnicate"});
  EXPECT_TRUE(r.exit);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--frobnicate"), std::string::npos) << r.output;
}

TEST(DaemonOptions, HelpAndVersionExitZero) {
  const ParseResult help = parse({"--help"});
  EXPECT_TRUE(help.exit);
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--listen"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("--size"), std::string::npos) << help.output;
  const ParseResult version = parse({"--version"});
  EXPECT_TRUE(version.exit);
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.output.rfind(std::string("camstreamd ") + kVersion + "\n", 0), 0u)
      << version.output;
  // Which build this is matters most on a board: with or without the camera.
  EXPECT_NE(version.output.find(std::string("camera support: ") +
                                (libcamera_built_in() ? "on (built against libcamera "
                                                      : "off (built without libcamera")),
            std::string::npos)
      << version.output;
}

TEST(ParseSize, GoodAndBad) {
  int w = 0, h = 0;
  std::string error;
  EXPECT_TRUE(parse_size("1920x1080", w, h, error)) << error;
  EXPECT_EQ(w, 1920);
  EXPECT_EQ(h, 1080);
  EXPECT_TRUE(parse_size("320X240", w, h, error)) << error;
  EXPECT_EQ(w, 320);
  EXPECT_TRUE(parse_size("4096x4096", w, h, error)) << error;
  for (const char* bad : {"", "x", "abc", "640", "640x", "x480", "640x480x2", " 640x480",
                          "640 x480", "-640x480", "318x240", "320x238", "4098x480", "641x480"}) {
    w = h = -1;
    error.clear();
    EXPECT_FALSE(parse_size(bad, w, h, error)) << "'" << bad << "'";
    EXPECT_FALSE(error.empty()) << "'" << bad << "'";
    EXPECT_EQ(w, -1) << "'" << bad << "' changed the output on failure";
  }
}

}  // namespace
}  // namespace camstream
