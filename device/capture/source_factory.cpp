// source_factory.cpp - the --source policy: a camera when asked or found, else the pattern.
#include "device/capture/source_factory.hpp"

#include <algorithm>
#include <chrono>

#include "device/capture/camera_source.hpp"
#include "device/capture/libcamera_device.hpp"
#include "device/capture/pattern_source.hpp"
#include "shared/log.hpp"

namespace camstream {

std::unique_ptr<FrameSource> open_source(const SourceRequest& request, Demand& demand,
                                         std::string& error) {
  bool camera = request.source == "libcamera";
  if (request.source == "auto") {
    std::string listing, why;
    const int cameras = libcamera_built_in() ? list_libcamera_cameras(listing, why) : -1;
    camera = cameras > 0;
    if (!camera) {
      log::warn(
          std::string(cameras < 0 ? "this build has no libcamera support" : "no camera found") +
          "; serving the test pattern instead (--source testpattern says so quietly)");
    }
  }
  if (camera) {
    std::unique_ptr<CameraDevice> device = make_libcamera_device(request.camera, error);
    if (!device) return nullptr;
    CameraSourceOptions options;
    options.settings = request.capture;
    // A slow frame rate must not pass for a stalled camera.
    const double fps = request.capture.fps;
    if (fps > 0) {
      options.stall_timeout =
          std::max(options.stall_timeout, std::chrono::milliseconds(static_cast<long>(3000 / fps)));
    }
    auto source = std::make_unique<CameraSource>(std::move(device), options);
    source->set_demand(&demand);
    if (!source->open(error)) return nullptr;
    return source;
  }
  // Images: one per encoder plus one being drawn and one spare.
  auto pattern = std::make_unique<PatternSource>(request.capture.width, request.capture.height,
                                                 request.capture.fps, request.encoders + 2);
  pattern->set_noise(request.noise);
  pattern->set_demand(&demand);
  return pattern;
}

}  // namespace camstream
