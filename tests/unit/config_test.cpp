// config_test.cpp - camstreamd's config file: every option from the file, flag precedence, errors.
#include "device/config.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "device/options.hpp"

namespace camstream {
namespace {

// A private temporary folder, removed with its files at the end of the test.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/camstream-config-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~TempDir() {
    for (const auto& f : files_)
      ::unlink(f.c_str());
    ::rmdir(path_.c_str());
  }
  std::string write(const std::string& name, const std::string& text) {
    const std::string file = path_ + "/" + name;
    std::ofstream(file, std::ios::binary) << text;
    files_.push_back(file);
    return file;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<std::string> files_;
};

ParseResult parse(std::vector<std::string> args, const std::string& default_config) {
  args.insert(args.begin(), "camstreamd");
  return parse_daemon_options(args, default_config);
}

TEST(ConfigText, CommentsBlanksQuotesAndWhitespace) {
  std::vector<ConfigEntry> entries;
  std::string error;
  ASSERT_TRUE(
      parse_config_text("# camstreamd\n\n  size=640x480  \r\n\t# indented comment\n"
                        "listen = \"127.0.0.1:9000\"\nfps\t=\t15",
                        "f.conf", entries, error))
      << error;
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].key, "size");
  EXPECT_EQ(entries[0].value, "640x480");
  EXPECT_EQ(entries[0].line, 3);
  EXPECT_EQ(entries[1].key, "listen");
  EXPECT_EQ(entries[1].value, "127.0.0.1:9000");
  EXPECT_EQ(entries[1].line, 5);
  EXPECT_EQ(entries[2].key, "fps");
  EXPECT_EQ(entries[2].value, "15");
  EXPECT_EQ(entries[2].line, 6);
}

struct BadText {
  std::string text;
  std::string expected;  // the start of the error: file and line
  std::string mentions;  // and a word of the explanation
};

// gtest and ctest name each case after this.
void PrintTo(const BadText& b, std::ostream* os) {
  *os << b.mentions;
}

class ConfigTextErrors : public ::testing::TestWithParam<BadText> {};

TEST_P(ConfigTextErrors, NameTheFileAndLine) {
  std::vector<ConfigEntry> entries;
  std::string error;
  EXPECT_FALSE(parse_config_text(GetParam().text, "/etc/x.conf", entries, error));
  EXPECT_EQ(error.rfind(GetParam().expected, 0), 0u) << error;
  EXPECT_NE(error.find(GetParam().mentions), std::string::npos) << error;
}

INSTANTIATE_TEST_SUITE_P(
    All, ConfigTextErrors,
    ::testing::Values(BadText{"fps = 5\nsize 640x480\n", "/etc/x.conf:2: ", "key = value"},
                      BadText{"= 5\n", "/etc/x.conf:1: ", "no key"},
                      BadText{"# c\nfps =\n", "/etc/x.conf:2: ", "no value"},
                      BadText{"fps = \"\"\n", "/etc/x.conf:1: ", "no value"},
                      BadText{"Log_Level = info\n", "/etc/x.conf:1: ", "not a key"},
                      BadText{"--fps = 5\n", "/etc/x.conf:1: ", "not a key"},
                      BadText{"listen = \"8080\n", "/etc/x.conf:1: ", "unmatched"},
                      BadText{std::string("fps = 5\0\n", 9), "/etc/x.conf:1: ", "NUL"}));

TEST(ConfigFile, EveryOptionFromTheFile) {
  TempDir dir;
  const std::string conf = dir.write("camstreamd.conf",
                                     "# every flag, set away from its default\n"
                                     "source = testpattern\n"
                                     "camera = 1\n"
                                     "hflip = true\n"
                                     "vflip = true\n"
                                     "rotate = 180\n"
                                     "control = ExposureTime=10000\n"
                                     "control = AwbEnable=false\n"
                                     "noise = 9\n"
                                     "size = 640x480\n"
                                     "fps = 12.5\n"
                                     "quality = 55\n"
                                     "workers = 3\n"
                                     "listen = 127.0.0.1:9123\n"
                                     "stats = 7\n"
                                     "log-level = warn\n");
  const ParseResult r = parse({"--config", conf}, "/nonexistent/camstreamd.conf");
  ASSERT_FALSE(r.exit) << r.output;
  EXPECT_EQ(r.options.source, "testpattern");
  EXPECT_EQ(r.options.camera, "1");
  EXPECT_TRUE(r.options.hflip);
  EXPECT_TRUE(r.options.vflip);
  EXPECT_EQ(r.options.rotate, 180);
  const std::vector<std::pair<std::string, std::string>> controls{{"ExposureTime", "10000"},
                                                                  {"AwbEnable", "false"}};
  EXPECT_EQ(r.options.controls, controls);
  EXPECT_EQ(r.options.noise, 9);
  EXPECT_EQ(r.options.width, 640);
  EXPECT_EQ(r.options.height, 480);
  EXPECT_DOUBLE_EQ(r.options.fps, 12.5);
  EXPECT_EQ(r.options.quality, 55);
  EXPECT_EQ(r.options.workers, 3);
  EXPECT_EQ(r.options.listen.host, "127.0.0.1");
  EXPECT_EQ(r.options.listen.port, 9123);
  EXPECT_DOUBLE_EQ(r.options.stats_interval, 7.0);
  EXPECT_EQ(r.options.log_level, log::Level::kWarn);
}

TEST(ConfigFile, TheDefaultPathIsReadWhenPresent) {
  TempDir dir;
  const std::string conf = dir.write("default.conf", "quality = 42\n");
  const ParseResult r = parse({}, conf);
  ASSERT_FALSE(r.exit) << r.output;
  EXPECT_EQ(r.options.quality, 42);
}

TEST(ConfigFile, AMissingDefaultFileMeansDefaults) {
  TempDir dir;
  const ParseResult r = parse({"--quality", "90"}, dir.path() + "/absent.conf");
  ASSERT_FALSE(r.exit) << r.output;
  EXPECT_EQ(r.options.quality, 90);
  EXPECT_EQ(r.options.width, 1280);
}

TEST(ConfigFile, FlagsWinOverTheFileAndTheRestComesFromIt) {
  TempDir dir;
  const std::string conf =
      dir.write("c.conf", "quality = 55\nsize = 640x480\nlisten = 9000\nlog-level = debug\n");
  const ParseResult r =
      parse({"--config", conf, "--quality", "90", "--listen=127.0.0.1:0"}, "/nonexistent");
  ASSERT_FALSE(r.exit) << r.output;
  EXPECT_EQ(r.options.quality, 90);
  EXPECT_EQ(r.options.listen.host, "127.0.0.1");
  EXPECT_EQ(r.options.listen.port, 0);
  EXPECT_EQ(r.options.width, 640);
  EXPECT_EQ(r.options.log_level, log::Level::kDebug);
}

TEST(ConfigFile, ARepeatableFlagReplacesAllOfTheFilesLines) {
  TempDir dir;
  const std::string conf =
      dir.write("c.conf", "control = ExposureTime=1\nhflip = true\ncontrol = AnalogueGain=2\n");
  const ParseResult r = parse({"--config", conf, "--control", "Brightness=0.5"}, "/nonexistent");
  ASSERT_FALSE(r.exit) << r.output;
  const std::vector<std::pair<std::string, std::string>> controls{{"Brightness", "0.5"}};
  EXPECT_EQ(r.options.controls, controls);
  EXPECT_TRUE(r.options.hflip);
}

TEST(ConfigFile, ABooleanCanBeSwitchedOffInTheFile) {
  TempDir dir;
  const ParseResult r =
      parse({"--config", dir.write("c.conf", "hflip = false\nvflip = true\n")}, "/nonexistent");
  ASSERT_FALSE(r.exit) << r.output;
  EXPECT_FALSE(r.options.hflip);
  EXPECT_TRUE(r.options.vflip);
}

TEST(ConfigFile, AFlagWinsEvenWhenTheFileValueIsBad) {
  TempDir dir;
  const std::string conf = dir.write("c.conf", "quality = 0\n");
  const ParseResult r = parse({"--config", conf, "--quality", "70"}, "/nonexistent");
  ASSERT_FALSE(r.exit) << r.output;
  EXPECT_EQ(r.options.quality, 70);
}

TEST(ConfigFile, AnEmptyConfigFlagReadsNoFile) {
  TempDir dir;
  const std::string conf = dir.write("default.conf", "quality = 42\n");
  const ParseResult r = parse({"--config", ""}, conf);
  ASSERT_FALSE(r.exit) << r.output;
  EXPECT_EQ(r.options.quality, 80);
}

struct BadFile {
  std::string text;
  std::string line;      // ":N: " expected after the path
  std::string mentions;  // part of the explanation
};

void PrintTo(const BadFile& b, std::ostream* os) {
  *os << b.mentions;
}

class ConfigFileErrors : public ::testing::TestWithParam<BadFile> {};

TEST_P(ConfigFileErrors, ExitTwoNamingFileAndLine) {
  TempDir dir;
  const std::string conf = dir.write("bad.conf", GetParam().text);
  const ParseResult r = parse({"--config", conf}, "/nonexistent");
  ASSERT_TRUE(r.exit);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.output.rfind(conf + GetParam().line, 0), 0u) << r.output;
  EXPECT_NE(r.output.find(GetParam().mentions), std::string::npos) << r.output;
}

INSTANTIATE_TEST_SUITE_P(
    All, ConfigFileErrors,
    ::testing::Values(
        BadFile{"fps = 5\nframerate = 5\n", ":2: ", "unknown key 'framerate'"},
        BadFile{"colour = red\n", ":1: ", "log-level"},  // lists the keys
        BadFile{"config = /etc/other.conf\n", ":1: ", "unknown key 'config'"},
        BadFile{"help = true\n", ":1: ", "unknown key 'help'"},
        BadFile{"list-cameras = true\n", ":1: ", "unknown key 'list-cameras'"},
        BadFile{"fps = 5\n\nfps = 6\n", ":3: ", "already set on line 1"},
        BadFile{"hflip = maybe\n", ":1: ", "hflip"}, BadFile{"rotate = 90\n", ":1: ", "rotate"},
        BadFile{"control = NoEquals\n", ":1: ", "control"},
        BadFile{"# q\nquality = 0\n", ":2: ", "quality"},
        BadFile{"quality = high\n", ":1: ", "quality"}, BadFile{"fps = 1000\n", ":1: ", "fps"},
        BadFile{"size = 641x480\n", ":1: ", "odd"}, BadFile{"size = big\n", ":1: ", "WIDTHxHEIGHT"},
        BadFile{"workers = 99\n", ":1: ", "workers"}, BadFile{"listen = 70000\n", ":1: ", "listen"},
        BadFile{"stats = -1\n", ":1: ", "stats"},
        BadFile{"log-level = loud\n", ":1: ", "log-level"},
        BadFile{"source = webcam\n", ":1: ", "source"},
        BadFile{"\n\n\nsize: 640x480\n", ":4: ", "key = value"}));

TEST(ConfigFile, AMissingExplicitFileIsAnError) {
  TempDir dir;
  const std::string missing = dir.path() + "/nope.conf";
  const ParseResult r = parse({"--config", missing}, "/nonexistent");
  ASSERT_TRUE(r.exit);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find(missing), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--config"), std::string::npos) << r.output;
}

TEST(ConfigFile, ADirectoryIsAnError) {
  TempDir dir;
  const ParseResult r = parse({"--config", dir.path()}, "/nonexistent");
  ASSERT_TRUE(r.exit);
  EXPECT_NE(r.output.find("not a regular file"), std::string::npos) << r.output;
}

TEST(ConfigFile, ABrokenDefaultFileIsAnErrorToo) {
  // Present but wrong: silently running on defaults would hide the mistake.
  TempDir dir;
  const std::string conf = dir.write("default.conf", "qualty = 50\n");
  const ParseResult r = parse({}, conf);
  ASSERT_TRUE(r.exit);
  EXPECT_EQ(r.output.rfind(conf + ":1: unknown key 'qualty'", 0), 0u) << r.output;
}

TEST(ConfigFile, AnOversizedFileIsRefused) {
  TempDir dir;
  const std::string conf = dir.write("big.conf", std::string(kMaxConfigBytes + 1, '#'));
  const ParseResult r = parse({"--config", conf}, "/nonexistent");
  ASSERT_TRUE(r.exit);
  EXPECT_NE(r.output.find("larger than"), std::string::npos) << r.output;
}

TEST(ConfigFile, TheShippedConfigDocumentsTheDefaults) {
  // packaging/camstreamd.conf shows every setting commented out at its default: as shipped
  // it changes nothing but the two lines that make the service private (the package's token
  // and TLS), and with every setting uncommented it still parses to the defaults.
  std::ifstream in(CAMSTREAM_SOURCE_DIR "/packaging/camstreamd.conf");
  ASSERT_TRUE(in) << "cannot read packaging/camstreamd.conf";
  std::string shipped, uncommented, line;
  int settings = 0;
  while (std::getline(in, line)) {
    shipped += line + "\n";
    const bool setting = line.rfind("# ", 0) == 0 && line.find(" = ") != std::string::npos &&
                         line.find(' ', 2) == line.find(" = ");
    settings += setting ? 1 : 0;
    uncommented += (setting ? line.substr(2) : line) + "\n";
  }
  TempDir dir;
  // The token files the package makes at install, here in the test's folder.
  dir.write("token", "a-token-the-package-made-at-install\n");
  dir.write("view-token", "a-view-token-made-by-the-owner\n");
  const auto with_test_files = [&dir](std::string text) {
    const std::string from = "/etc/camstream/";
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at))
      text.replace(at, from.size(), dir.path() + "/");
    return text;
  };
  const ParseResult none = parse({}, "/nonexistent");
  for (const std::string& text : {with_test_files(shipped), with_test_files(uncommented)}) {
    const ParseResult r = parse({"--config", dir.write("c.conf", text)}, "/nonexistent");
    ASSERT_FALSE(r.exit) << r.output;
    EXPECT_EQ(r.options.source, none.options.source);
    EXPECT_EQ(r.options.camera, text == with_test_files(shipped) ? "" : "0");
    // The active lines: the package's token, and TLS (a certificate of one's own when the
    // commented tls-cert and tls-key lines are uncommented).
    EXPECT_EQ(r.options.tls.mode, text == with_test_files(shipped) ? "auto" : "files");
    ASSERT_FALSE(r.options.credentials.control_tokens.empty());
    EXPECT_EQ(r.options.credentials.control_tokens.back(), "a-token-the-package-made-at-install");
    EXPECT_EQ(r.options.hflip, none.options.hflip);
    EXPECT_EQ(r.options.vflip, none.options.vflip);
    EXPECT_EQ(r.options.rotate, none.options.rotate);
    EXPECT_EQ(r.options.noise, none.options.noise);
    EXPECT_EQ(r.options.width, none.options.width);
    EXPECT_EQ(r.options.height, none.options.height);
    EXPECT_DOUBLE_EQ(r.options.fps, none.options.fps);
    EXPECT_EQ(r.options.quality, none.options.quality);
    EXPECT_EQ(r.options.listen.host, none.options.listen.host);
    EXPECT_EQ(r.options.listen.port, none.options.listen.port);
    EXPECT_DOUBLE_EQ(r.options.stats_interval, none.options.stats_interval);
    EXPECT_EQ(r.options.log_level, none.options.log_level);
    EXPECT_EQ(r.options.max_clients, none.options.max_clients);
    EXPECT_EQ(r.options.max_handshakes, none.options.max_handshakes);
    EXPECT_EQ(r.options.max_per_address, none.options.max_per_address);
    EXPECT_DOUBLE_EQ(r.options.handshake_timeout, none.options.handshake_timeout);
    EXPECT_DOUBLE_EQ(r.options.write_timeout, none.options.write_timeout);
  }
  EXPECT_GT(settings, 0);
  // Every flag that --help lists, except those that act rather than set, is shown.
  std::istringstream help(parse({"--help"}, "/nonexistent").output);
  int flags = 0;
  while (std::getline(help, line)) {
    std::size_t at = line.find_first_not_of(' ');
    if (at == std::string::npos) continue;
    if (line.compare(at, 1, "-") == 0 && line.compare(at + 2, 3, ",--") == 0) at += 3;
    if (line.compare(at, 2, "--") != 0) continue;  // a description line
    const std::size_t end = line.find_first_of(" =", at);
    const std::string key = line.substr(at + 2, end == std::string::npos ? end : end - at - 2);
    ++flags;
    if (key == "help" || key == "version" || key == "config" || key == "list-cameras" ||
        key == "show-access" || key == "hash-password")
      continue;
    EXPECT_TRUE(shipped.find("\n# " + key + " = ") != std::string::npos ||
                shipped.find("\n" + key + " = ") != std::string::npos)
        << "packaging/camstreamd.conf does not show --" << key;
  }
  EXPECT_GT(flags, 10) << "could not read the flags from --help";
}

}  // namespace
}  // namespace camstream
