// snapshot.cpp - XDG's Pictures folder, file names from camera and time, exclusive creation.
#include "viewer/save/snapshot.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

namespace camstream {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

std::string pictures_dir(std::string_view home, std::string_view user_dirs) {
  std::istringstream in{std::string(user_dirs)};
  std::string line;
  while (std::getline(in, line)) {
    constexpr std::string_view kKey = "XDG_PICTURES_DIR=";
    if (!line.starts_with(kKey)) continue;
    std::string value = line.substr(kKey.size());
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    // user-dirs.dirs allows only "$HOME/…" or an absolute path.
    if (value.starts_with("$HOME")) {
      if (home.empty()) break;
      value = std::string(home) + value.substr(5);
    }
    // "$HOME/" alone means the feature is off for that folder: fall back like xdg-user-dir.
    if (!value.empty() && value.front() == '/' && value != std::string(home) + "/") return value;
    break;
  }
  if (home.empty()) return ".";
  return std::string(home) + "/Pictures";
}

std::string default_snapshot_dir() {
  const std::string home = env("HOME");
  std::string config = env("XDG_CONFIG_HOME");
  if (config.empty() && !home.empty()) config = home + "/.config";
  std::string user_dirs;
  if (!config.empty()) {
    std::ifstream in(config + "/user-dirs.dirs");
    std::ostringstream text;
    text << in.rdbuf();
    user_dirs = text.str();
  }
  return pictures_dir(home, user_dirs);
}

std::string capture_stem(std::string_view camera, std::int64_t wall_us) {
  std::string cam;
  for (const char c : camera) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-';
    cam += keep ? c : '_';
  }
  const std::time_t secs = static_cast<std::time_t>(wall_us / 1'000'000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char when[48];
  std::snprintf(when, sizeof when, "%04d%02d%02d-%02d%02d%02d.%03d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>((wall_us / 1000) % 1000));
  return "camview-" + cam + "-" + when;
}

std::string snapshot_name(std::string_view camera, std::int64_t wall_us, std::uint64_t seq) {
  return capture_stem(camera, wall_us) + "-seq" + std::to_string(seq) + ".jpg";
}

std::optional<std::string> save_new_file(const std::string& dir, const std::string& name,
                                         std::span<const std::uint8_t> bytes, std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    error = "cannot make the folder " + dir + ": " + ec.message() +
            "; choose another with --snapshot-dir DIR";
    return std::nullopt;
  }
  const std::size_t dot = name.rfind('.');
  const std::string stem = name.substr(0, dot);
  const std::string ext = dot == std::string::npos ? "" : name.substr(dot);
  for (int n = 1; n < 1000; ++n) {
    const std::string path = dir + "/" + (n == 1 ? name : stem + "-" + std::to_string(n) + ext);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST) continue;
    if (fd < 0) {
      error = "cannot save in " + dir + ": " + std::strerror(errno) +
              "; choose another folder with --snapshot-dir DIR";
      return std::nullopt;
    }
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n_written = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n_written < 0 && errno == EINTR) continue;
      if (n_written <= 0) break;
      done += static_cast<std::size_t>(n_written);
    }
    const int write_errno = done == bytes.size() ? 0 : (errno ? errno : EIO);
    // close() reports a delayed write error on some file systems (NFS).
    if (::close(fd) != 0 || write_errno != 0) {
      const int e = write_errno ? write_errno : errno;
      ::unlink(path.c_str());
      error = "cannot save " + path + ": " + std::strerror(e) +
              (e == ENOSPC ? "; free some space or choose another folder with --snapshot-dir DIR"
                           : "; choose another folder with --snapshot-dir DIR");
      return std::nullopt;
    }
    return path;
  }
  error = "cannot save in " + dir + ": 999 files named like " + name + " already";
  return std::nullopt;
}

}  // namespace camstream
