// config.cpp - reading camstreamd's config file into key/value entries with their line numbers.
#include "device/config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <sys/stat.h>

#include "shared/text.hpp"

namespace camstream {
namespace {

using text::trim;

bool valid_key(std::string_view key) {
  return !key.empty() && key.front() >= 'a' && key.front() <= 'z' &&
         std::all_of(key.begin(), key.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

}  // namespace

bool parse_config_text(std::string_view text, const std::string& path,
                       std::vector<ConfigEntry>& entries, std::string& error) {
  entries.clear();
  int number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view raw = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++number;

    const std::string where = path + ":" + std::to_string(number) + ": ";
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    if (line.find('\0') != std::string_view::npos) {
      error = where + "holds a NUL byte; this is not a text config file";
      return false;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      error = where + "expected 'key = value' (or a # comment), got '" + std::string(line) + "'";
      return false;
    }
    const std::string_view key = trim(line.substr(0, eq));
    std::string_view value = trim(line.substr(eq + 1));
    if (key.empty()) {
      error = where + "the line has no key before '='";
      return false;
    }
    if (!valid_key(key)) {
      error = where + "'" + std::string(key) +
              "' is not a key; keys are the long flags without '--', e.g. 'log-level'";
      return false;
    }
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    } else if (!value.empty() && (value.front() == '"' || value.back() == '"')) {
      error = where + "the value of '" + std::string(key) + "' has an unmatched '\"'";
      return false;
    }
    if (value.empty()) {
      error = where + "'" + std::string(key) +
              "' has no value; give one or comment the line out with '#'";
      return false;
    }
    entries.push_back({std::string(key), std::string(value), number});
  }
  return true;
}

ConfigLoad load_config_file(const std::string& path, bool required,
                            std::vector<ConfigEntry>& entries, std::string& error) {
  entries.clear();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT && !required) return ConfigLoad::kAbsent;
    error = "cannot read config file " + path + ": " + std::strerror(err) +
            (err == ENOENT ? "; check the path given to --config" : "");
    return ConfigLoad::kFailed;
  }
  if (!S_ISREG(st.st_mode)) {
    error = "config file " + path + " is not a regular file; give --config the path of one";
    return ConfigLoad::kFailed;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error =
        "cannot open config file " + path + ": " + std::strerror(errno) + "; check its permissions";
    return ConfigLoad::kFailed;
  }
  std::string text(kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    error = "cannot read config file " + path;
    return ConfigLoad::kFailed;
  }
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxConfigBytes) {
    error = "config file " + path + " is larger than " + std::to_string(kMaxConfigBytes / 1024) +
            " KiB; is it the right file?";
    return ConfigLoad::kFailed;
  }
  return parse_config_text(text, path, entries, error) ? ConfigLoad::kLoaded : ConfigLoad::kFailed;
}

}  // namespace camstream

namespace camstream {

std::string update_config_text(std::string_view text, const std::vector<ConfigEntry>& values) {
  std::vector<bool> used(values.size(), false);
  // The control a "control = NAME=VALUE" value names.
  const auto control_name = [](std::string_view v) { return v.substr(0, v.find('=')); };
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    const std::string_view body = trim(line);
    const std::size_t eq = body.find('=');
    bool replaced = false;
    if (!body.empty() && body.front() != '#' && eq != std::string_view::npos) {
      const std::string_view key = trim(body.substr(0, eq));
      std::string_view value = trim(body.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      for (std::size_t i = 0; i < values.size(); ++i) {
        const ConfigEntry& v = values[i];
        if (key != v.key) continue;
        if (v.key == "control" && control_name(value) != control_name(v.value)) continue;
        // The first line of a key takes the new value; a repeat of it would override it, so
        // it goes.
        if (!used[i]) out += v.key + " = " + v.value + "\n";
        used[i] = true;
        replaced = true;
        break;
      }
    }
    if (!replaced) out.append(line).append("\n");
  }
  bool header = false;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (used[i]) continue;
    if (!header) out += "# saved at run time (POST /controls?persist=1)\n";
    header = true;
    out += values[i].key + " = " + values[i].value + "\n";
  }
  return out;
}

bool update_config_file(const std::string& path, const std::vector<ConfigEntry>& values,
                        std::string& error) {
  std::string text;
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists) {
    std::vector<ConfigEntry> entries;
    if (load_config_file(path, true, entries, error) != ConfigLoad::kLoaded) return false;
    std::ifstream in(path, std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::string updated = update_config_text(text, values);
  if (updated.size() > kMaxConfigBytes) {
    error = "cannot save to " + path + ": it would grow over " +
            std::to_string(kMaxConfigBytes / 1024) + " KiB";
    return false;
  }
  // Written beside it and renamed over it: a crash leaves the old file or the new, never half.
  const std::string temporary = path + ".camstreamd-new";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << updated;
    out.flush();
    if (!out) {
      error = "cannot save to " + path + ": cannot write " + temporary + " (" +
              std::strerror(errno) +
              "); make its directory writable by the daemon's user, or save by hand";
      std::remove(temporary.c_str());
      return false;
    }
  }
  if (exists) ::chmod(temporary.c_str(), st.st_mode & 07777);
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    error = "cannot save to " + path + ": " + std::strerror(errno);
    std::remove(temporary.c_str());
    return false;
  }
  return true;
}

}  // namespace camstream
