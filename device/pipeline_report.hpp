// pipeline_report.hpp - the pipeline's figures, gathered from its stages for the server.
#pragma once

#include "device/capture/frame_source.hpp"
#include "device/encode/encoder_pool.hpp"
#include "device/figures.hpp"
#include "device/serve/hub.hpp"

namespace camstream {

// What was asked of the pipeline and does not change while it runs, reported beside what it
// did (the rate and the quality, which controls change, are read from the source and the
// encoders as they are now).
struct PipelineSettings {
  int workers = 0;
};

// Reads the source's, the encoders' and the hub's counters into one PipelineFigures. The
// stages must outlive it; their counters are atomics, so any thread may ask.
class PipelineReport final : public PipelineFiguresSource {
 public:
  PipelineReport(const FrameSource& source, const EncoderPool& encoders, const Hub& hub,
                 PipelineSettings settings)
      : source_(source), encoders_(encoders), hub_(hub), settings_(settings) {}

  PipelineFigures pipeline_figures() const override;

 private:
  const FrameSource& source_;
  const EncoderPool& encoders_;
  const Hub& hub_;
  const PipelineSettings settings_;
};

}  // namespace camstream
