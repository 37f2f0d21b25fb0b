// libcamera_absent.cpp - stands in for the libcamera adapter in a build without libcamera.
#include "device/capture/libcamera_device.hpp"

namespace camstream {
namespace {

const char kNoLibcamera[] =
    "this build of camstreamd has no libcamera support; install libcamera-dev "
    "(scripts/install-deps) and rebuild, or use --source testpattern";

}  // namespace

bool libcamera_built_in() {
  return false;
}

std::string libcamera_support() {
  return "off (built without libcamera: the test pattern only)";
}

void set_libcamera_log_level(const char*) {}

int list_libcamera_cameras(std::string&, std::string& error) {
  error = kNoLibcamera;
  return -1;
}

std::unique_ptr<CameraDevice> make_libcamera_device(const std::string&, std::string& error) {
  error = kNoLibcamera;
  return nullptr;
}

}  // namespace camstream
