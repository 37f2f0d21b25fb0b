// camera_device.hpp - the small interface between CameraSource and a camera: libcamera or a fake.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "device/capture/camera_controls.hpp"
#include "device/capture/frame_source.hpp"

namespace camstream {

// What the user asked for. The camera may adjust the size; the rest it must honour or refuse.
struct CaptureSettings {
  int width = 1280;
  int height = 720;
  double fps = 30;  // 0: as fast as the camera goes (no frame duration limit is set)
  bool hflip = false;
  bool vflip = false;
  int rotate = 0;                                             // 0 or 180
  std::vector<std::pair<std::string, std::string>> controls;  // NAME, VALUE as typed
  // Also configure a second stream at the camera's largest size for stills, where the camera
  // can run one beside the video stream; configure() leaves `still` empty where it cannot.
  bool still_stream = false;
};

// How the pixels of a buffer are laid out in its planes.
enum class PixelLayout {
  kYuv420,  // Y, then U, then V; chroma stride is half the luma stride
  kNv12,    // Y, then interleaved U/V pairs with the luma stride
};

// One plane of a camera buffer: `length` bytes at `offset` in the dmabuf (or memfd) `fd`.
// Several planes may share one fd at different offsets.
struct CameraPlane {
  int fd = -1;
  std::size_t offset = 0;
  std::size_t length = 0;
};

// The stream the camera really configured. Buffer i is captured by request i.
struct CameraStream {
  int width = 0;
  int height = 0;
  int stride = 0;  // bytes per luma row
  PixelLayout layout = PixelLayout::kYuv420;
  std::vector<std::vector<CameraPlane>> buffers;
  std::string description;  // for the log, e.g. "imx219 1280x720 YUV420"
};

// A finished capture of buffer `buffer`. `ok` false: the camera failed or cancelled it.
struct CameraCompletion {
  int buffer = -1;
  bool ok = false;
  std::uint64_t timestamp_ns = 0;  // sensor timestamp, CLOCK_MONOTONIC; 0 when absent
  // The still stream's buffer queued with it, or -1; `still_ok` as `ok`, for that buffer.
  int still_buffer = -1;
  bool still_ok = false;
};

// What a configured camera offers, for the control API. Free of libcamera types like the rest.
struct CameraCapabilities {
  // The sizes of the YUV format in use that the camera takes as they are, largest first.
  std::vector<std::pair<int, int>> sizes;
  // Whether it can mirror the picture both ways (and so rotate it by 180 degrees).
  bool can_transform = false;
  // Every control with its range, menu labels and default; FrameDurationLimits read-only.
  std::vector<ControlRange> controls;
};

// A camera's life cycle: open -> configure -> start -> queue... -> stop, then open again
// (possibly after the camera was unplugged and came back). Only one thread drives it; the
// callbacks come on the camera's own thread and must return quickly.
class CameraDevice {
 public:
  using CompletionFn = std::function<void(const CameraCompletion&)>;
  using DisconnectFn = std::function<void()>;

  virtual ~CameraDevice() = default;

  // Finds and acquires the camera. False with a sentence in `error` when it is not there (yet)
  // or busy.
  virtual bool open(std::string& error) = 0;
  // Configures a YUV 4:2:0 stream for `settings` and allocates its buffers; with
  // settings.still_stream, also a full-size YUV 4:2:0 stream into `still` where the camera can
  // run both (else `still` has no buffers). False with a sentence in `error` for settings the
  // camera refuses (unknown control, value out of range, no YUV format, a size it will not
  // take), which are the user's to fix.
  virtual bool configure(const CaptureSettings& settings, CameraStream& stream, CameraStream& still,
                         std::string& error) = 0;
  // What the camera offers; valid between configure() and stop().
  virtual CameraCapabilities capabilities() = 0;
  // Starts capturing; no buffer is queued yet. Callbacks may come until stop() returns.
  virtual bool start(CompletionFn on_complete, DisconnectFn on_disconnect, std::string& error) = 0;
  // Queues buffer `buffer` for capture, with the still stream's buffer `still_buffer` when it
  // is not -1 (that request then also fills it); false when the camera refuses (stopped,
  // unplugged). The controls and frame rate set since the last queue() go with this request.
  virtual bool queue(int buffer, int still_buffer) = 0;
  // Control values, already checked against capabilities().controls, for the next request
  // queued (libcamera applies controls per request; the camera keeps them after). False with a
  // sentence when the camera does not have one of them.
  virtual bool set_controls(const std::vector<ControlChange>& changes, std::string& error) = 0;
  // The frame rate from the next request queued on: FrameDurationLimits of exactly 1/fps, or
  // the camera's whole range for 0. A camera without that control keeps its own rate.
  virtual void set_frame_rate(double fps) = 0;
  // Stops, frees the buffers and releases the camera. No callback comes after it returns.
  // Mappings of the buffers' fds made by the caller stay valid until the caller unmaps them.
  virtual void stop() = 0;
};

}  // namespace camstream
