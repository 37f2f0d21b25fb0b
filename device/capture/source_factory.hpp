// source_factory.hpp - chooses and opens the frame source a daemon asks for.
#pragma once

#include <memory>
#include <string>

#include "device/capture/camera_device.hpp"
#include "device/capture/demand.hpp"
#include "device/capture/frame_source.hpp"

namespace camstream {

struct SourceRequest {
  std::string source = "auto";  // auto, libcamera or testpattern
  std::string camera;           // which camera (index or id); empty: the first
  CaptureSettings capture;      // size, rate, flips, controls
  int noise = 0;                // the test pattern's grain (0: a clean picture)
  int encoders = 1;             // the test pattern keeps this many images plus two
};

// `auto` takes the first camera when libcamera finds one, else the test pattern with a
// warning; `libcamera` insists on a camera; `testpattern` needs none. The camera is opened,
// configured and started here, so a missing, busy or unwilling camera stops the program
// before it serves: null then, with one sentence in `error` saying what to do. Either source
// produces frames only while `demand` wants them; `demand` must outlive the source.
std::unique_ptr<FrameSource> open_source(const SourceRequest& request, Demand& demand,
                                         std::string& error);

}  // namespace camstream
