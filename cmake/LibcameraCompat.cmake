# LibcameraCompat.cmake - finds libcamera and probes which of its APIs this version has.
#
# CAMSTREAM_WITH_LIBCAMERA: AUTO (use it when found, warn loudly when not), ON (fail when not
# found), OFF. When libcamera is found, in AUTO as in ON, a required API that no probe finds
# stops the configure step: a board must never get a camera-less daemon by accident.
# Result: CAMSTREAM_HAVE_LIBCAMERA, the imported target PkgConfig::LIBCAMERA and the generated
# header <libcamera_compat.h> in ${CAMSTREAM_LIBCAMERA_COMPAT_DIR}. The probes compile small
# programs against the headers found by pkg-config (the target's sysroot in a cross build), so
# the code asks "does this API exist" and never "which version is this".
set(CAMSTREAM_WITH_LIBCAMERA AUTO CACHE STRING "Build the libcamera source: AUTO, ON or OFF")
set_property(CACHE CAMSTREAM_WITH_LIBCAMERA PROPERTY STRINGS AUTO ON OFF)

set(CAMSTREAM_HAVE_LIBCAMERA OFF)
set(CAMSTREAM_LIBCAMERA_COMPAT_DIR ${CMAKE_BINARY_DIR}/generated)

# No libcamera at all: AUTO builds a test-pattern-only daemon and says so loudly; ON stops.
function(_camstream_libcamera_absent why)
  if(CAMSTREAM_WITH_LIBCAMERA STREQUAL "ON")
    message(FATAL_ERROR "CAMSTREAM_WITH_LIBCAMERA=ON but ${why}. Install libcamera-dev "
                        "(scripts/install-deps) or configure with -DCAMSTREAM_WITH_LIBCAMERA=OFF "
                        "for a daemon without camera support.")
  endif()
  message(WARNING "libcamera: not found (${why}): this camstreamd has NO camera support and "
                  "serves the test pattern only. Install libcamera-dev (scripts/install-deps) "
                  "for camera support, or say -DCAMSTREAM_WITH_LIBCAMERA=OFF to mean it.")
endfunction()

if(CAMSTREAM_WITH_LIBCAMERA STREQUAL "OFF")
  message(STATUS "libcamera: off (CAMSTREAM_WITH_LIBCAMERA=OFF)")
  return()
endif()
if(NOT CAMSTREAM_WITH_LIBCAMERA MATCHES "^(AUTO|ON)$")
  message(FATAL_ERROR "CAMSTREAM_WITH_LIBCAMERA must be AUTO, ON or OFF, not '${CAMSTREAM_WITH_LIBCAMERA}'")
endif()

pkg_check_modules(LIBCAMERA QUIET IMPORTED_TARGET libcamera)
if(NOT LIBCAMERA_FOUND)
  _camstream_libcamera_absent("pkg-config finds no libcamera")
  return()
endif()

include(CheckCXXSourceCompiles)
include(CMakePushCheckState)
cmake_push_check_state(RESET)
set(CMAKE_REQUIRED_QUIET ON)
set(CMAKE_REQUIRED_INCLUDES ${LIBCAMERA_INCLUDE_DIRS})
set(CMAKE_REQUIRED_FLAGS "${LIBCAMERA_CFLAGS_OTHER}")
set(CMAKE_REQUIRED_LIBRARIES ${LIBCAMERA_LINK_LIBRARIES})

# The headers every probe includes; a probe that fails only means "this version spells it
# otherwise" (CMakeFiles/CMakeConfigureLog.yaml has the compiler's reasons).
set(_lc_headers [=[
#include <optional>
#include <libcamera/camera.h>
#include <libcamera/camera_manager.h>
#include <libcamera/control_ids.h>
#include <libcamera/property_ids.h>
#include <libcamera/framebuffer_allocator.h>
#include <libcamera/formats.h>
#include <libcamera/request.h>
#include <libcamera/stream.h>
#include <libcamera/transform.h>
]=])
set(_lc_defines "")

# _camstream_libcamera_probe(NAME "what it checks" [=[code]=]): defines
# CAMSTREAM_LIBCAMERA_HAVE_NAME in the generated header when the code compiles and links.
function(_camstream_libcamera_probe name what body)
  check_cxx_source_compiles("${_lc_headers}\n${body}\nint main() { return 0; }"
                            CAMSTREAM_LIBCAMERA_PROBE_${name})
  if(CAMSTREAM_LIBCAMERA_PROBE_${name})
    set(line "#define CAMSTREAM_LIBCAMERA_HAVE_${name} 1  // ${what}")
    message(STATUS "libcamera probe: ${what} - yes")
  else()
    set(line "// CAMSTREAM_LIBCAMERA_HAVE_${name} not defined: no ${what}")
    message(STATUS "libcamera probe: ${what} - no")
  endif()
  set(_lc_defines "${_lc_defines}${line}\n" PARENT_SCOPE)
  set(_lc_what_${name} "${what}" PARENT_SCOPE)
endfunction()

_camstream_libcamera_probe(ORIENTATION "CameraConfiguration::orientation" [=[
#include <libcamera/orientation.h>
void f(libcamera::CameraConfiguration& c) { c.orientation = libcamera::Orientation::Rotate180Mirror; }
]=])
_camstream_libcamera_probe(TRANSFORM "CameraConfiguration::transform" [=[
void f(libcamera::CameraConfiguration& c) { c.transform = libcamera::Transform::HFlip; }
]=])
_camstream_libcamera_probe(STREAMROLES_ALIAS "the StreamRoles alias" [=[
void f(libcamera::Camera& c) {
  c.generateConfiguration(libcamera::StreamRoles{libcamera::StreamRole::VideoRecording});
}
]=])
_camstream_libcamera_probe(GENERATE_FROM_SPAN "generateConfiguration(Span<const StreamRole>)" [=[
void f(libcamera::Camera& c) {
  const libcamera::StreamRole r[] = {libcamera::StreamRole::VideoRecording};
  c.generateConfiguration(libcamera::Span<const libcamera::StreamRole>(r, 1));
}
]=])
_camstream_libcamera_probe(REQUEST_REUSE "Request::reuse(Request::ReuseBuffers)" [=[
void f(libcamera::Request& r) { r.reuse(libcamera::Request::ReuseBuffers); }
]=])
_camstream_libcamera_probe(GET_OPTIONAL "ControlList::get() returning std::optional" [=[
void f(const libcamera::ControlList& l) {
  std::optional<int64_t> t = l.get(libcamera::controls::SensorTimestamp);
  (void)t;
}
]=])
_camstream_libcamera_probe(SENSOR_TIMESTAMP "controls::SensorTimestamp" [=[
const libcamera::ControlId* f() { return &libcamera::controls::SensorTimestamp; }
]=])
_camstream_libcamera_probe(FRAME_DURATION_LIMITS "controls::FrameDurationLimits as two int64" [=[
void f(libcamera::ControlList& l) {
  const int64_t d[2] = {33333, 33333};
  l.set(libcamera::controls::FrameDurationLimits, libcamera::Span<const int64_t, 2>(d));
}
]=])
# std::optional<std::string> up to 0.6, std::optional<std::string_view> from 0.7 on: the adapter
# copies it into a std::string, which both allow.
_camstream_libcamera_probe(PROPERTY_MODEL "properties::Model as a string" [=[
std::string f(const libcamera::Camera& c) {
  const auto model = c.properties().get(libcamera::properties::Model);
  return model ? std::string(*model) : std::string();
}
]=])
_camstream_libcamera_probe(COLOR_SPACE "StreamConfiguration::colorSpace and ColorSpace::Sycc" [=[
#include <libcamera/color_space.h>
void f(libcamera::StreamConfiguration& s) { s.colorSpace = libcamera::ColorSpace::Sycc; }
]=])
_camstream_libcamera_probe(CONTROL_ID_IS_ARRAY "ControlId::isArray()" [=[
bool f(const libcamera::ControlId& id) { return id.isArray(); }
]=])
_camstream_libcamera_probe(CONTROL_TYPE_UNSIGNED "ControlTypeUnsigned16 and ControlTypeUnsigned32" [=[
libcamera::ControlType t[] = {libcamera::ControlTypeUnsigned16, libcamera::ControlTypeUnsigned32};
]=])
_camstream_libcamera_probe(CONTROL_ID_ENUMERATORS "ControlId::enumerators()" [=[
#include <map>
#include <string>
const std::map<int32_t, std::string>& f(const libcamera::ControlId& id) { return id.enumerators(); }
]=])
cmake_pop_check_state()

# What the adapter cannot do without: one way each to set the flips and to generate a
# configuration, request reuse, the sensor timestamp, the frame duration limits, the model
# property and std::optional from ControlList::get. Older libcamera is not supported.
set(_lc_missing_required "")
foreach(req REQUEST_REUSE GET_OPTIONAL SENSOR_TIMESTAMP FRAME_DURATION_LIMITS PROPERTY_MODEL)
  if(NOT CAMSTREAM_LIBCAMERA_PROBE_${req})
    list(APPEND _lc_missing_required "${_lc_what_${req}}")
  endif()
endforeach()
if(NOT CAMSTREAM_LIBCAMERA_PROBE_ORIENTATION AND NOT CAMSTREAM_LIBCAMERA_PROBE_TRANSFORM)
  list(APPEND _lc_missing_required "${_lc_what_ORIENTATION} or ${_lc_what_TRANSFORM}")
endif()
if(NOT CAMSTREAM_LIBCAMERA_PROBE_STREAMROLES_ALIAS AND NOT CAMSTREAM_LIBCAMERA_PROBE_GENERATE_FROM_SPAN)
  list(APPEND _lc_missing_required "${_lc_what_STREAMROLES_ALIAS} or ${_lc_what_GENERATE_FROM_SPAN}")
endif()
if(_lc_missing_required)
  list(JOIN _lc_missing_required "; " _lc_missing_text)
  message(FATAL_ERROR
    "libcamera ${LIBCAMERA_VERSION} is installed, but camstream does not know how to use it: "
    "the compile probes found no ${_lc_missing_text} (the compiler's reasons are in "
    "${CMAKE_BINARY_DIR}/CMakeFiles/CMakeConfigureLog.yaml). Rather than build a camstreamd "
    "without camera support, configuring stops here. docs/libcamera.md lists the libcamera "
    "versions camstream is built and tested against. To build a test-pattern-only daemon on "
    "purpose, configure with -DCAMSTREAM_WITH_LIBCAMERA=OFF.")
endif()

file(CONFIGURE OUTPUT ${CAMSTREAM_LIBCAMERA_COMPAT_DIR}/libcamera_compat.h
  CONTENT "// libcamera_compat.h - generated by cmake/LibcameraCompat.cmake: which libcamera APIs the\n// headers found at configure time have (libcamera ${LIBCAMERA_VERSION}). Do not edit.\n#pragma once\n\n#define CAMSTREAM_LIBCAMERA_BUILT_VERSION \"${LIBCAMERA_VERSION}\"\n${_lc_defines}"
  @ONLY)
set(CAMSTREAM_HAVE_LIBCAMERA ON)
message(STATUS "libcamera: ${LIBCAMERA_VERSION}, camera support on")
