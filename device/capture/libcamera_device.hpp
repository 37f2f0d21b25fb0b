// libcamera_device.hpp - the libcamera side of camstreamd: the camera adapter and camera listing.
#pragma once

#include <memory>
#include <string>

#include "device/capture/camera_device.hpp"

namespace camstream {

// False in a build made without libcamera (CAMSTREAM_WITH_LIBCAMERA=OFF or not installed);
// everything below then fails with a sentence saying so.
bool libcamera_built_in();

// "on (built against libcamera X, running with libcamera Y)" or "off (...)", for --version.
std::string libcamera_support();

// libcamera's own log goes to stderr at this level or above: "ERROR" unless told otherwise
// (LIBCAMERA_LOG_LEVELS in the environment always wins).
void set_libcamera_log_level(const char* level);

// Describes every camera (index, id, model, the YUV and other formats with their sizes) into
// `out`. Returns how many there are, or -1 with a sentence in `error` when libcamera is not
// available.
int list_libcamera_cameras(std::string& out, std::string& error);

// A CameraDevice over libcamera for `selector`: "" for the first camera, a number for the
// camera at that index, anything else for a camera id as --list-cameras prints it. Null with a
// sentence in `error` when libcamera is not available or cannot start.
std::unique_ptr<CameraDevice> make_libcamera_device(const std::string& selector,
                                                    std::string& error);

}  // namespace camstream
