// snapshot.hpp - where camview keeps what the user saves, what the files are called, and
// writing one without ever replacing another.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace camstream {

// The user's Pictures folder as XDG names it: XDG_PICTURES_DIR in `user_dirs` (the text of
// $XDG_CONFIG_HOME/user-dirs.dirs, empty when there is none), with $HOME expanded, else
// HOME/Pictures; "." without a home.
std::string pictures_dir(std::string_view home, std::string_view user_dirs);
// The same from this process's environment and files.
std::string default_snapshot_dir();

// "camview-CAMERA-YYYYMMDD-HHMMSS.mmm", the time in local time. The camera's name keeps
// letters, digits, '.' and '-'; anything else (':' of a port, '/' of a URL) becomes '_', so
// the name is one path component that every file system takes.
std::string capture_stem(std::string_view camera, std::int64_t wall_us);
// A snapshot's name: the stem and the frame's sequence number, "…-seq1234.jpg".
std::string snapshot_name(std::string_view camera, std::int64_t wall_us, std::uint64_t seq);

// Creates `dir` (and its parents) when missing, then `dir/name`, or `dir/name` with "-2",
// "-3"… before the extension when that exists; never replaces a file. Returns the path
// written, or nothing with a sentence in `error` naming the folder and what to do (a
// partial file is removed).
std::optional<std::string> save_new_file(const std::string& dir, const std::string& name,
                                         std::span<const std::uint8_t> bytes, std::string& error);

}  // namespace camstream
