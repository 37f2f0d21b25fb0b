// snapshot_test.cpp - the Pictures folder, file names, and never replacing a file.
#include "viewer/save/snapshot.hpp"

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

namespace camstream {
namespace {

namespace fs = std::filesystem;

TEST(Snapshot, PicturesFolderFollowsXdg) {
  EXPECT_EQ(pictures_dir("/home/ann", ""), "/home/ann/Pictures");
  EXPECT_EQ(pictures_dir("/home/ann", "# comment\nXDG_PICTURES_DIR=\"$HOME/Bilder\"\n"),
            "/home/ann/Bilder");
  EXPECT_EQ(pictures_dir("/home/ann", "XDG_PICTURES_DIR=\"/srv/pics\"\n"), "/srv/pics");
  // "$HOME/" is how xdg-user-dirs turns a folder off: the default then.
  EXPECT_EQ(pictures_dir("/home/ann", "XDG_PICTURES_DIR=\"$HOME/\"\n"), "/home/ann/Pictures");
  EXPECT_EQ(pictures_dir("", ""), ".");
}

TEST(Snapshot, NamesCarryCameraTimeAndSequence) {
  setenv("TZ", "UTC", 1);
  tzset();
  // 2025-01-02 03:04:05.678 UTC
  const std::int64_t t = 1735787045'678'000;
  EXPECT_EQ(snapshot_name("127.0.0.1:8080", t, 42),
            "camview-127.0.0.1_8080-20250102-030405.678-seq42.jpg");
  EXPECT_EQ(capture_stem("http://cam/stream?a=b", t),
            "camview-http___cam_stream_a_b-20250102-030405.678");
}

class SaveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("camview-snap-" + std::to_string(::getpid()));
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

std::string contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST_F(SaveTest, MakesTheFolderAndNeverReplacesAFile) {
  const std::vector<std::uint8_t> a{1, 2, 3}, b{4, 5};
  std::string error;
  const auto first = save_new_file((dir_ / "deep").string(), "x.jpg", a, error);
  ASSERT_TRUE(first) << error;
  EXPECT_EQ(*first, (dir_ / "deep" / "x.jpg").string());
  const auto second = save_new_file((dir_ / "deep").string(), "x.jpg", b, error);
  ASSERT_TRUE(second) << error;
  EXPECT_EQ(*second, (dir_ / "deep" / "x-2.jpg").string());
  EXPECT_EQ(contents(*first), std::string("\x01\x02\x03"));
  EXPECT_EQ(contents(*second), std::string("\x04\x05"));
}

// A folder that cannot be made (a file stands in its way; root may write anywhere else).
TEST_F(SaveTest, AnUnusableFolderIsASentence) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "file") << "x";
  std::string error;
  EXPECT_FALSE(save_new_file((dir_ / "file" / "sub").string(), "x.jpg", {}, error));
  EXPECT_NE(error.find("--snapshot-dir"), std::string::npos) << error;
}

}  // namespace
}  // namespace camstream
