// pipeline_report_test.cpp - PipelineReport: the size and counters the server reports.
#include "device/pipeline_report.hpp"

#include <string>

#include <gtest/gtest.h>

#include "tests/unit/helpers.hpp"

namespace camstream {
namespace {

using testing::make_encoded_frame;

// A camera that was asked for one size and chose another, as libcamera's virtual camera does.
class ChosenSizeSource final : public FrameSource {
 public:
  void start(FrameSink&) override {}
  void stop() override {}
  std::string describe() const override { return "camera test 1280x720 NV12"; }
  SourceStats stats() const override { return SourceStats{7, 2, 40}; }
  int width() const override { return 1280; }
  int height() const override { return 720; }
  SourceMode mode() const override { return {}; }
  bool set_mode(const SourceMode&, std::string&) override { return false; }
};

TEST(PipelineReport, SizeIsTheSourcesUntilAFrameThenTheFrames) {
  ChosenSizeSource source;
  Hub hub;
  EncoderPool encoders(1, 80, hub);
  const PipelineReport report(source, encoders, hub, PipelineSettings{1});

  // Before any frame: the size the camera chose, not the one asked for.
  PipelineFigures f = report.pipeline_figures();
  EXPECT_EQ(f.width, 1280);
  EXPECT_EQ(f.height, 720);
  EXPECT_EQ(f.source, "camera test 1280x720 NV12");
  EXPECT_EQ(f.target_fps, 30);
  EXPECT_EQ(f.captured, 7u);
  EXPECT_EQ(f.dropped, 2u);
  EXPECT_EQ(f.over_rate, 40u);

  // Once frames flow, their size is what is streamed.
  hub.publish(make_encoded_frame(1, 320, 240));
  f = report.pipeline_figures();
  EXPECT_EQ(f.width, 320);
  EXPECT_EQ(f.height, 240);
}

}  // namespace
}  // namespace camstream
