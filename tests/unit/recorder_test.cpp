// recorder_test.cpp - recordings read back through libavformat: codec, frames, times, cut-offs.
#include "viewer/save/recorder.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "viewer/save/recording_writer.hpp"

extern "C" {
#include <libavformat/avformat.h>
}

#include "tests/unit/helpers.hpp"

namespace camstream {
namespace {

namespace fs = std::filesystem;

struct Packet {
  std::vector<std::uint8_t> data;
  double seconds;  // presentation time
};

struct ReadBack {
  bool opened = false;
  AVCodecID codec = AV_CODEC_ID_NONE;
  int width = 0;
  std::vector<Packet> packets;
};

// Demuxes the whole file as a player would.
ReadBack read_back(const std::string& path) {
  ReadBack out;
  AVFormatContext* ctx = nullptr;
  if (avformat_open_input(&ctx, path.c_str(), nullptr, nullptr) < 0) return out;
  out.opened = avformat_find_stream_info(ctx, nullptr) >= 0 && ctx->nb_streams == 1;
  if (out.opened) {
    out.codec = ctx->streams[0]->codecpar->codec_id;
    out.width = ctx->streams[0]->codecpar->width;
    AVPacket* p = av_packet_alloc();
    while (av_read_frame(ctx, p) >= 0) {
      out.packets.push_back({std::vector<std::uint8_t>(p->data, p->data + p->size),
                             static_cast<double>(p->pts) * av_q2d(ctx->streams[0]->time_base)});
      av_packet_unref(p);
    }
    av_packet_free(&p);
  }
  avformat_close_input(&ctx);
  return out;
}

std::vector<std::uint8_t> jpeg(std::uint64_t seq) {
  const auto f = testing::make_encoded_frame(seq, 320, 240);
  return {f->jpeg().begin(), f->jpeg().end()};
}

class RecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("camview-recorder-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

// 30 frames a second for a second, from a clock that starts anywhere: the file holds the
// JPEGs byte for byte, as mjpeg, at their capture times from 0.
TEST_F(RecorderTest, MatroskaHoldsTheJpegsAtTheirTimes) {
  Recorder r;
  std::string error;
  ASSERT_TRUE(r.open(path("a.mkv"), 320, 240, 30, error)) << error;
  const std::uint64_t start = 5'000'000'000;
  for (std::uint64_t i = 0; i < 30; ++i)
    ASSERT_TRUE(r.write(jpeg(i), start + i * 33'333, error)) << error;
  EXPECT_EQ(r.frames(), 30u);
  r.close();
  const ReadBack b = read_back(path("a.mkv"));
  ASSERT_TRUE(b.opened);
  EXPECT_EQ(b.codec, AV_CODEC_ID_MJPEG);
  EXPECT_EQ(b.width, 320);
  ASSERT_EQ(b.packets.size(), 30u);
  EXPECT_EQ(b.packets[7].data, jpeg(7)) << "the JPEG was changed on its way";
  for (std::size_t i = 0; i < b.packets.size(); ++i)
    EXPECT_NEAR(b.packets[i].seconds, static_cast<double>(i) * 0.033333, 0.0011) << i;
}

// A reconnect leaves a gap in the capture times; the file keeps it, so playback keeps pace.
TEST_F(RecorderTest, AGapInTheStreamStaysAGapInTheFile) {
  Recorder r;
  std::string error;
  ASSERT_TRUE(r.open(path("gap.mkv"), 320, 240, 30, error)) << error;
  ASSERT_TRUE(r.write(jpeg(1), 1'000'000, error));
  ASSERT_TRUE(r.write(jpeg(2), 1'033'333, error));
  ASSERT_TRUE(r.write(jpeg(3), 4'033'333, error));  // three seconds later
  ASSERT_TRUE(r.write(jpeg(4), 4'033'333, error));  // the same time again: nudged on
  r.close();
  const ReadBack b = read_back(path("gap.mkv"));
  ASSERT_EQ(b.packets.size(), 4u);
  EXPECT_NEAR(b.packets[2].seconds, 3.033, 0.002);
  EXPECT_GT(b.packets[3].seconds, b.packets[2].seconds);
}

TEST_F(RecorderTest, AviHoldsEveryFrame) {
  Recorder r;
  std::string error;
  ASSERT_TRUE(r.open(path("a.avi"), 320, 240, 30, error)) << error;
  for (std::uint64_t i = 0; i < 15; ++i)
    ASSERT_TRUE(r.write(jpeg(i), i * 33'333, error)) << error;
  r.close();
  const ReadBack b = read_back(path("a.avi"));
  ASSERT_TRUE(b.opened);
  EXPECT_EQ(b.codec, AV_CODEC_ID_MJPEG);
  ASSERT_EQ(b.packets.size(), 15u);
  EXPECT_EQ(b.packets[14].data, jpeg(14));
  EXPECT_NEAR(b.packets[14].seconds, 14.0 / 30, 0.001);
}

// What a kill leaves: the file as it is while still open, without index or duration. Every
// frame written so far must already be in it.
TEST_F(RecorderTest, AnUnclosedMatroskaFilePlaysUpToItsLastFrame) {
  Recorder r;
  std::string error;
  ASSERT_TRUE(r.open(path("cut.mkv"), 320, 240, 30, error)) << error;
  for (std::uint64_t i = 0; i < 10; ++i)
    ASSERT_TRUE(r.write(jpeg(i), i * 33'333, error));
  fs::copy_file(path("cut.mkv"), path("copy.mkv"));
  const ReadBack b = read_back(path("copy.mkv"));
  ASSERT_TRUE(b.opened);
  ASSERT_EQ(b.packets.size(), 10u);
  EXPECT_EQ(b.packets[9].data, jpeg(9));
}

TEST_F(RecorderTest, RefusesOtherContainersAndUnwritablePlaces) {
  Recorder r;
  std::string error;
  EXPECT_FALSE(r.open(path("a.mp4"), 320, 240, 30, error));
  EXPECT_NE(error.find(".mkv"), std::string::npos) << error;
  EXPECT_FALSE(r.open(path("no-such-folder/a.mkv"), 320, 240, 30, error));
  EXPECT_NE(error.find("no-such-folder/a.mkv"), std::string::npos) << error;
  EXPECT_FALSE(r.is_open());
}

// /dev/full takes nothing: the failure is a sentence, never a crash.
TEST_F(RecorderTest, AFullDiskIsASentence) {
  fs::create_symlink("/dev/full", dir_ / "full.mkv");
  Recorder r;
  std::string error;
  EXPECT_FALSE(r.open(path("full.mkv"), 320, 240, 30, error) && r.write(jpeg(1), 0, error) &&
               r.write(jpeg(2), 33'333, error));
  EXPECT_NE(error.find("No space left on device"), std::string::npos) << error;
}

// The writer's thread: the frames queued before close() all reach the file, and what happened
// comes back as sentences for the main thread.
TEST_F(RecorderTest, WriterThreadRecordsAndReports) {
  RecordingWriter w;
  w.open(path("w.mkv"), 320, 240, 30);
  EXPECT_TRUE(w.active());
  for (std::uint64_t i = 0; i < 10; ++i)
    w.write(jpeg(i), i * 33'333);
  w.close();
  EXPECT_FALSE(w.active());
  w.finish();
  const auto said = w.take_messages();
  ASSERT_EQ(said.size(), 1u);
  EXPECT_EQ(said[0].first, "recorded 10 frames into " + path("w.mkv"));
  EXPECT_FALSE(said[0].second);
  EXPECT_EQ(read_back(path("w.mkv")).packets.size(), 10u);
}

TEST_F(RecorderTest, WriterReportsAFailureAndEnds) {
  RecordingWriter w;
  w.open(path("a.mp4"), 320, 240, 30);
  w.write(jpeg(1), 0);
  w.finish();
  const auto said = w.take_messages();
  ASSERT_EQ(said.size(), 1u);
  EXPECT_TRUE(said[0].second);
  EXPECT_NE(said[0].first.find(".mkv"), std::string::npos) << said[0].first;
  EXPECT_FALSE(w.active());
}

}  // namespace
}  // namespace camstream
