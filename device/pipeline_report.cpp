// pipeline_report.cpp - gathering the stage counters into the pipeline's figures.
#include "device/pipeline_report.hpp"

namespace camstream {

PipelineFigures PipelineReport::pipeline_figures() const {
  PipelineFigures p;
  p.source = source_.describe();
  // The size streamed once there is a frame; until then the source's, which for a camera is
  // the size it chose, not always the one asked for.
  const EncodedFramePtr latest = hub_.latest();
  p.width = latest ? latest->header.width : source_.width();
  p.height = latest ? latest->header.height : source_.height();
  p.target_fps = source_.mode().fps;  // as now: the control API changes it
  p.quality = encoders_.quality();
  p.workers = settings_.workers;
  const SourceStats src = source_.stats();
  const EncoderStats enc = encoders_.stats();
  p.captured = src.captured;
  p.dropped = src.dropped;
  p.encoders_busy = enc.refused;
  p.over_rate = src.over_rate;
  p.encoded = enc.encoded;
  p.encode_failed = enc.failed;
  p.late = hub_.dropped_late();
  p.encode_us_total = enc.encode_us_total;
  p.queue = enc.queue;
  p.encode = enc.encode;
  return p;
}

}  // namespace camstream
