// libcamera_device.cpp - the thin adapter from CameraDevice to libcamera, for every version the
// compile probes in cmake/LibcameraCompat.cmake recognise (see docs/libcamera.md).
#include "device/capture/libcamera_device.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include <libcamera/camera.h>
#include <libcamera/camera_manager.h>
#include <libcamera/control_ids.h>
#include <libcamera/formats.h>
#include <libcamera/framebuffer_allocator.h>
#include <libcamera/property_ids.h>
#include <libcamera/request.h>
#include <libcamera/stream.h>
#include <libcamera/transform.h>
#include <libcamera_compat.h>

#ifdef CAMSTREAM_LIBCAMERA_HAVE_ORIENTATION
#include <libcamera/orientation.h>
#endif
#ifdef CAMSTREAM_LIBCAMERA_HAVE_COLOR_SPACE
#include <libcamera/color_space.h>
#endif

#include "device/capture/camera_controls.hpp"
#include "shared/log.hpp"

namespace camstream {
namespace lc = libcamera;
namespace {

std::string log_level = "ERROR";

// libcamera reads its levels from the environment once, when it logs first; logSetLevel()
// would reach only the categories that exist by then. The user's own setting wins.
void apply_log_level() {
  const std::string levels = "*:" + log_level;
  setenv("LIBCAMERA_LOG_LEVELS", levels.c_str(), 0);
}

// The one place the StreamRoles alias (gone in 0.1) and the Span overload meet.
std::unique_ptr<lc::CameraConfiguration> generate_configuration(
    lc::Camera& camera, const std::vector<lc::StreamRole>& roles) {
#ifdef CAMSTREAM_LIBCAMERA_HAVE_GENERATE_FROM_SPAN
  return camera.generateConfiguration(lc::Span<const lc::StreamRole>(roles.data(), roles.size()));
#else
  return camera.generateConfiguration(lc::StreamRoles(roles.begin(), roles.end()));
#endif
}

std::unique_ptr<lc::CameraConfiguration> generate_video_configuration(lc::Camera& camera) {
  return generate_configuration(camera, {lc::StreamRole::VideoRecording});
}

// YUV420 is what TurboJPEG takes as it is; NV12 costs a split of the chroma per frame. False
// when the stream offers neither.
bool pick_yuv(lc::StreamConfiguration& sc) {
  const auto offered = sc.formats().pixelformats();
  auto has = [&](const lc::PixelFormat& f) {
    return std::find(offered.begin(), offered.end(), f) != offered.end();
  };
  if (has(lc::formats::YUV420) || offered.empty()) {
    sc.pixelFormat = lc::formats::YUV420;
  } else if (has(lc::formats::NV12)) {
    sc.pixelFormat = lc::formats::NV12;
  } else {
    return false;
  }
  return true;
}

bool is_yuv(const lc::StreamConfiguration& sc) {
  return sc.pixelFormat == lc::formats::YUV420 || sc.pixelFormat == lc::formats::NV12;
}

// hflip/vflip/rotate 180 reduce to "mirror left-right" and "mirror top-bottom".
struct Flips {
  bool h = false;
  bool v = false;
};

Flips flips_for(const CaptureSettings& s) {
  const bool r180 = s.rotate == 180;
  return Flips{s.hflip != r180, s.vflip != r180};
}

// Sets the flips on the configuration: `orientation` from 0.2 on, `transform` before.
void set_flips(lc::CameraConfiguration& config, Flips f) {
#ifdef CAMSTREAM_LIBCAMERA_HAVE_ORIENTATION
  config.orientation = f.h ? (f.v ? lc::Orientation::Rotate180 : lc::Orientation::Rotate0Mirror)
                           : (f.v ? lc::Orientation::Rotate180Mirror : lc::Orientation::Rotate0);
#else
  lc::Transform t = lc::Transform::Identity;
  if (f.h) t = t | lc::Transform::HFlip;
  if (f.v) t = t | lc::Transform::VFlip;
  config.transform = t;
#endif
}

Flips get_flips(const lc::CameraConfiguration& config) {
#ifdef CAMSTREAM_LIBCAMERA_HAVE_ORIENTATION
  const lc::Orientation o = config.orientation;
  return Flips{o == lc::Orientation::Rotate0Mirror || o == lc::Orientation::Rotate180,
               o == lc::Orientation::Rotate180Mirror || o == lc::Orientation::Rotate180};
#else
  const int t = static_cast<int>(config.transform);
  return Flips{(t & static_cast<int>(lc::Transform::HFlip)) != 0,
               (t & static_cast<int>(lc::Transform::VFlip)) != 0};
#endif
}

std::optional<double> as_number(const lc::ControlValue& v) {
  if (v.isArray() || v.isNone()) return std::nullopt;
  switch (v.type()) {
    case lc::ControlTypeBool:
      return v.get<bool>() ? 1.0 : 0.0;
    case lc::ControlTypeByte:
      return static_cast<double>(v.get<std::uint8_t>());
    case lc::ControlTypeInteger32:
      return static_cast<double>(v.get<std::int32_t>());
    case lc::ControlTypeInteger64:
      return static_cast<double>(v.get<std::int64_t>());
    case lc::ControlTypeFloat:
      return static_cast<double>(v.get<float>());
#ifdef CAMSTREAM_LIBCAMERA_HAVE_CONTROL_TYPE_UNSIGNED
    case lc::ControlTypeUnsigned16:
      return static_cast<double>(v.get<std::uint16_t>());
    case lc::ControlTypeUnsigned32:
      return static_cast<double>(v.get<std::uint32_t>());
#endif
    default:
      return std::nullopt;
  }
}

// FrameDurationLimits for `fps`: exactly one frame time, or for 0 (as fast as it goes) the
// camera's whole range, as `info` states it; nothing when that range is unknown.
std::optional<std::array<std::int64_t, 2>> frame_duration_limits(const lc::ControlInfo& info,
                                                                 double fps) {
  if (fps > 0) {
    const auto us = static_cast<std::int64_t>(std::llround(1e6 / fps));
    return std::array<std::int64_t, 2>{us, us};
  }
  const auto min = as_number(info.min());
  const auto max = as_number(info.max());
  if (!min || !max) return std::nullopt;
  return std::array<std::int64_t, 2>{static_cast<std::int64_t>(*min),
                                     static_cast<std::int64_t>(*max)};
}

// Every number in `v`, an array's too.
std::vector<double> as_numbers(const lc::ControlValue& v) {
  if (v.isNone()) return {};
  if (!v.isArray()) {
    if (auto n = as_number(v)) return {*n};
    return {};
  }
  std::vector<double> out;
  auto all = [&](auto tag) {
    using T = decltype(tag);
    for (const T& x : v.get<lc::Span<const T>>())
      out.push_back(static_cast<double>(x));
  };
  switch (v.type()) {
    case lc::ControlTypeByte:
      all(std::uint8_t{});
      break;
    case lc::ControlTypeInteger32:
      all(std::int32_t{});
      break;
    case lc::ControlTypeInteger64:
      all(std::int64_t{});
      break;
    case lc::ControlTypeFloat:
      all(float{});
      break;
    default:
      break;
  }
  return out;
}

// A menu's labels for `values`: libcamera's own enumerator names where this version has them,
// else the built-in table; empty when no value has a name.
std::vector<std::string> menu_labels(const lc::ControlId& id, const std::vector<double>& values) {
  std::vector<std::string> labels(values.size());
  bool any = false;
#ifdef CAMSTREAM_LIBCAMERA_HAVE_CONTROL_ID_ENUMERATORS
  const auto& enumerators = id.enumerators();
  if (!enumerators.empty()) {
    std::vector<std::string> names;
    for (const auto& [value, name] : enumerators)
      names.push_back(name);
    const std::vector<std::string> stripped = labels_from_enumerators(names);
    for (std::size_t i = 0; i < values.size(); ++i) {
      std::size_t k = 0;
      for (const auto& [value, name] : enumerators) {
        if (static_cast<double>(value) == values[i]) {
          labels[i] = stripped[k];
          any = true;
        }
        ++k;
      }
    }
    return any ? labels : std::vector<std::string>{};
  }
#endif
  for (std::size_t i = 0; i < values.size(); ++i) {
    labels[i] = builtin_menu_label(id.name(), static_cast<int>(values[i]));
    any = any || !labels[i].empty();
  }
  return any ? labels : std::vector<std::string>{};
}

bool is_array_control(const lc::ControlId& id) {
#ifdef CAMSTREAM_LIBCAMERA_HAVE_CONTROL_ID_IS_ARRAY
  return id.isArray();
#else
  // Older ControlIds do not say; these are the array controls those versions declare.
  static const std::set<std::string> arrays = {"ColourGains", "SensorBlackLevels",
                                               "ColourCorrectionMatrix", "FrameDurationLimits"};
  return arrays.count(id.name()) != 0;
#endif
}

ControlRange to_range(const lc::ControlId& id, const lc::ControlInfo& info) {
  ControlRange r;
  r.name = id.name();
  switch (id.type()) {
    case lc::ControlTypeBool:
      r.kind = ControlRange::Kind::kBool;
      break;
    case lc::ControlTypeByte:
    case lc::ControlTypeInteger32:
    case lc::ControlTypeInteger64:
#ifdef CAMSTREAM_LIBCAMERA_HAVE_CONTROL_TYPE_UNSIGNED
    case lc::ControlTypeUnsigned16:
    case lc::ControlTypeUnsigned32:
#endif
      r.kind = ControlRange::Kind::kInteger;
      break;
    case lc::ControlTypeFloat:
      r.kind = ControlRange::Kind::kFloat;
      break;
    default:
      r.kind = ControlRange::Kind::kUnsupported;
      break;
  }
  r.array = is_array_control(id);
  const auto min = as_number(info.min());
  const auto max = as_number(info.max());
  if (min && max && *min <= *max) {
    r.has_range = true;
    r.min = *min;
    r.max = *max;
  }
  if (r.kind != ControlRange::Kind::kBool) {
    for (const lc::ControlValue& v : info.values()) {
      if (auto n = as_number(v)) r.values.push_back(*n);
    }
  }
  if (r.kind == ControlRange::Kind::kInteger && !r.array) {
    // A menu stated as a range (0 to 7 for AwbMode) is listed value by value where the values
    // have names, so clients can offer the names.
    if (r.values.empty() && r.has_range && r.max - r.min < 64) {
      std::vector<double> all;
      for (double v = r.min; v <= r.max; ++v)
        all.push_back(v);
      const std::vector<std::string> labels = menu_labels(id, all);
      for (std::size_t i = 0; i < labels.size(); ++i) {
        if (labels[i].empty()) continue;
        r.values.push_back(all[i]);
        r.labels.push_back(labels[i]);
      }
    } else {
      r.labels = menu_labels(id, r.values);
    }
  }
  r.default_value = as_numbers(info.def());
  // The daemon's own fps sets it; a client's value would fight that.
  if (r.name == "FrameDurationLimits") r.read_only = "set by fps";
  return r;
}

// The parsed numbers as the ControlValue of the control's own type.
lc::ControlValue to_value(const lc::ControlId& id, bool array, const std::vector<double>& n) {
  auto make = [&](auto tag) {
    using T = decltype(tag);
    std::vector<T> v;
    for (double d : n)
      v.push_back(static_cast<T>(d));
    if (array) return lc::ControlValue(lc::Span<const T>(v.data(), v.size()));
    return lc::ControlValue(v.front());
  };
  switch (id.type()) {
    case lc::ControlTypeBool:
      if (array) break;  // no bool arrays exist
      return lc::ControlValue(n.front() != 0);
    case lc::ControlTypeByte:
      return make(std::uint8_t{});
    case lc::ControlTypeInteger32:
      return make(std::int32_t{});
    case lc::ControlTypeInteger64:
      return make(std::int64_t{});
    case lc::ControlTypeFloat:
      return make(float{});
#ifdef CAMSTREAM_LIBCAMERA_HAVE_CONTROL_TYPE_UNSIGNED
    case lc::ControlTypeUnsigned16:
      return make(std::uint16_t{});
    case lc::ControlTypeUnsigned32:
      return make(std::uint32_t{});
#endif
    default:
      break;
  }
  return lc::ControlValue();
}

// Model is a std::string up to libcamera 0.6 and a std::string_view from 0.7 on.
std::string model_of(const lc::Camera& camera) {
  const auto model = camera.properties().get(lc::properties::Model);
  return model ? std::string(*model) : std::string("unknown model");
}

// The sizes of `format` the camera takes as they are. StreamFormats::sizes() turns a stated
// range into libcamera's list of common sizes inside it, and a camera need not take them all
// (the virtual camera takes only the sizes in its virtual.yaml, and states the range between
// them); validate() says which of those, and the range's ends, come back unchanged.
std::vector<lc::Size> sizes_taken(lc::Camera& camera, const lc::StreamFormats& formats,
                                  const lc::PixelFormat& format) {
  std::vector<lc::Size> candidates = formats.sizes(format);
  const lc::SizeRange range = formats.range(format);
  for (const lc::Size& end : {range.min, range.max})
    if (!end.isNull()) candidates.push_back(end);
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  std::vector<lc::Size> taken;
  const auto config = generate_video_configuration(camera);
  if (!config || config->empty()) return taken;
  lc::StreamConfiguration& sc = config->at(0);
  for (const lc::Size& size : candidates) {
    sc.pixelFormat = format;
    sc.size = size;
    if (config->validate() != lc::CameraConfiguration::Invalid && sc.size == size &&
        sc.pixelFormat == format)
      taken.push_back(size);
  }
  return taken;
}

// One CameraManager per process is all libcamera allows; this one lives as long as its user.
std::unique_ptr<lc::CameraManager> start_manager(std::string& error) {
  apply_log_level();
  auto manager = std::make_unique<lc::CameraManager>();
  const int ret = manager->start();
  if (ret < 0) {
    error = "libcamera could not start (error " + std::to_string(-ret) +
            "); check that /dev/media* and /dev/video* are readable, or use --source testpattern";
    return nullptr;
  }
  return manager;
}

class LibcameraDevice final : public CameraDevice {
 public:
  LibcameraDevice(std::unique_ptr<lc::CameraManager> manager, std::string selector)
      : manager_(std::move(manager)), selector_(std::move(selector)) {}

  // The manager stops when destroyed, after the camera is released.
  ~LibcameraDevice() override { LibcameraDevice::stop(); }

  bool open(std::string& error) override {
    stop();
    const auto cameras = manager_->cameras();
    if (cameras.empty()) {
      error =
          "no camera found; connect one, check it is listed by --list-cameras, or use "
          "--source testpattern";
      return false;
    }
    std::shared_ptr<lc::Camera> camera;
    const bool is_index = !selector_.empty() && selector_.size() < 4 &&
                          std::all_of(selector_.begin(), selector_.end(),
                                      [](char c) { return c >= '0' && c <= '9'; });
    if (selector_.empty()) {
      camera = cameras.front();
    } else if (is_index) {
      const std::size_t i = static_cast<std::size_t>(std::stoi(selector_));
      if (i < cameras.size()) camera = cameras[i];
    } else {
      camera = manager_->get(selector_);
    }
    if (!camera) {
      error = "there is no camera '" + selector_ + "' (" + std::to_string(cameras.size()) +
              " camera(s) found); pick one from --list-cameras with --camera INDEX or ID";
      return false;
    }
    if (camera->acquire() < 0) {
      error = "camera " + camera->id() +
              " is in use by another program; stop that program or choose another with --camera";
      return false;
    }
    camera_ = std::move(camera);
    camera_->disconnected.connect(this, &LibcameraDevice::on_disconnected);
    camera_->requestCompleted.connect(this, &LibcameraDevice::on_request_completed);
    return true;
  }

  bool configure(const CaptureSettings& settings, CameraStream& out, CameraStream& still,
                 std::string& error) override {
    const std::string name = model_of(*camera_) + " (" + camera_->id() + ")";
    out = CameraStream{};
    still = CameraStream{};
    if (!(settings.still_stream && configure_streams(settings, true, error)) &&
        !configure_streams(settings, false, error))
      return false;
    lc::StreamConfiguration& sc = config_->at(0);
    const Flips want = flips_for(settings);
    const Flips got = get_flips(*config_);
    if (got.h != want.h || got.v != want.v)
      log::warn("camera " + name + " cannot flip or rotate as asked; the picture is as it comes");
    if (static_cast<int>(sc.size.width) != settings.width ||
        static_cast<int>(sc.size.height) != settings.height) {
      log::info("camera " + name + " chose " + sc.size.toString() + " instead of " +
                std::to_string(settings.width) + "x" + std::to_string(settings.height));
    }
#ifdef CAMSTREAM_LIBCAMERA_HAVE_COLOR_SPACE
    if (sc.colorSpace && *sc.colorSpace != lc::ColorSpace::Sycc)
      log::info("camera " + name + " delivers " + sc.colorSpace->toString() +
                " colours, not full-range sYCC; the JPEGs may look a little flat");
#endif
    if (camera_->configure(config_.get()) < 0) {
      error = "camera " + name + " could not be configured; is another program using it?";
      return false;
    }

    build_capabilities(sc);
    if (!build_controls(settings, error)) return false;

    allocator_ = std::make_unique<lc::FrameBufferAllocator>(camera_);
    stream_ = sc.stream();
    if (!describe_stream(sc, name, out, video_buffers_, error)) return false;
    if (config_->size() > 1) {
      const lc::StreamConfiguration& ssc = config_->at(1);
      still_stream_ = ssc.stream();
      if (!describe_stream(ssc, name, still, still_buffers_, error)) return false;
      // One buffer is all a still needs; the rest of the allocation stays unused.
      still.buffers.resize(1);
      still_buffers_.resize(1);
      log::info("camera " + name + " runs a second stream at " + ssc.size.toString() +
                " for full-size stills");
    }
    // Two requests per video buffer, each with its buffers added once: one with the video
    // buffer alone, one also carrying the still buffer. A request is only ever reused with
    // its buffers (ReuseBuffers), never emptied and refilled: a pipeline handler may still be
    // walking a completed request's buffers when it is queued again (libcamera's virtual
    // camera does), and refilling them under it crashes.
    for (std::size_t i = 0; i < video_buffers_.size(); ++i) {
      for (const bool with_still : {false, true}) {
        if (with_still && !still_stream_) continue;
        std::unique_ptr<lc::Request> request = camera_->createRequest(i);
        if (!request || request->addBuffer(stream_, video_buffers_[i]) < 0 ||
            (with_still && request->addBuffer(still_stream_, still_buffers_[0]) < 0)) {
          error = "camera " + name + " could not set up its capture requests";
          return false;
        }
        (with_still ? still_requests_ : requests_).push_back(std::move(request));
      }
    }
    pending_.emplace(camera_->controls());
    return true;
  }

  CameraCapabilities capabilities() override {
    return capabilities_;
  }

  bool start(CompletionFn on_complete, DisconnectFn on_disconnect, std::string& error) override {
    {
      std::lock_guard lock(callback_mutex_);
      on_complete_ = std::move(on_complete);
      on_disconnect_ = std::move(on_disconnect);
    }
    if (camera_->start(controls_ ? &*controls_ : nullptr) < 0) {
      error = "camera " + camera_->id() + " could not start";
      return false;
    }
    started_ = true;
    return true;
  }

  bool queue(int buffer, int still_buffer) override {
    if (!started_ || buffer < 0 || static_cast<std::size_t>(buffer) >= requests_.size())
      return false;
    const auto i = static_cast<std::size_t>(buffer);
    // A still rides on the request of this video buffer that also carries the still buffer.
    if (still_buffer >= 0 && (still_buffer != 0 || i >= still_requests_.size())) return false;
    lc::Request* request = (still_buffer >= 0 ? still_requests_ : requests_)[i].get();
    request->reuse(lc::Request::ReuseBuffers);
    // Controls apply per request: what was set since the last one goes with this one, and the
    // camera keeps them after.
    if (pending_) {
      for (const auto& [id, value] : *pending_)
        request->controls().set(id, value);
      pending_->clear();
    }
    return camera_->queueRequest(request) == 0;
  }

  bool set_controls(const std::vector<ControlChange>& changes, std::string& error) override {
    if (!pending_) {
      error = "the camera is not configured; set the controls again once it streams";
      return false;
    }
    for (const ControlChange& c : changes) {
      const ControlRange* range = find_control(ranges_, c.name, error);
      if (!range) return false;
      const lc::ControlId* id = ids_[static_cast<std::size_t>(range - ranges_.data())];
      const lc::ControlValue value =
          c.value.empty() ? lc::ControlValue() : to_value(*id, range->array, c.value);
      if (value.isNone()) {
        error = c.name + " takes a kind of value camstreamd cannot set; leave it out";
        return false;
      }
      pending_->set(id->id(), value);
    }
    return true;
  }

  void set_frame_rate(double fps) override {
    if (!pending_) return;
    const lc::ControlInfoMap& info = camera_->controls();
    const auto it = info.find(&lc::controls::FrameDurationLimits);
    if (it == info.end()) return;  // said once when configured
    if (const auto limits = frame_duration_limits(it->second, fps))
      pending_->set(lc::controls::FrameDurationLimits, lc::Span<const std::int64_t, 2>(*limits));
  }

  void stop() override {
    if (started_) camera_->stop();
    started_ = false;
    {
      std::lock_guard lock(callback_mutex_);
      on_complete_ = nullptr;
      on_disconnect_ = nullptr;
    }
    requests_.clear();
    still_requests_.clear();
    video_buffers_.clear();
    still_buffers_.clear();
    allocator_.reset();
    controls_.reset();
    pending_.reset();
    config_.reset();
    stream_ = nullptr;
    still_stream_ = nullptr;
    if (camera_) {
      camera_->requestCompleted.disconnect(this);
      camera_->disconnected.disconnect(this);
      camera_->release();
      camera_.reset();
    }
  }

 private:
  // Generates and validates config_: the video stream, and with `two` a full-size still
  // stream beside it. False, with a sentence in `error` unless `two`, when the camera will not.
  bool configure_streams(const CaptureSettings& settings, bool two, std::string& error) {
    const std::string name = model_of(*camera_) + " (" + camera_->id() + ")";
    config_ = two ? generate_configuration(
                        *camera_, {lc::StreamRole::VideoRecording, lc::StreamRole::StillCapture})
                  : generate_video_configuration(*camera_);
    if (!config_ || config_->size() < (two ? 2u : 1u)) {
      if (!two) error = "camera " + name + " offers no video stream";
      return false;
    }
    lc::StreamConfiguration& sc = config_->at(0);
    if (!pick_yuv(sc)) {
      if (two) return false;
      std::string names;
      for (const auto& f : sc.formats().pixelformats())
        names += (names.empty() ? "" : ", ") + f.toString();
      error = "camera " + name + " offers no YUV 4:2:0 format (YUV420 or NV12), only " + names +
              "; camstreamd cannot use it";
      return false;
    }
    sc.size =
        lc::Size(static_cast<unsigned>(settings.width), static_cast<unsigned>(settings.height));
#ifdef CAMSTREAM_LIBCAMERA_HAVE_COLOR_SPACE
    // JPEG (JFIF) is full-range BT.601: ask for exactly that, so the bytes need no conversion.
    sc.colorSpace = lc::ColorSpace::Sycc;
#endif
    lc::Size still_size;
    if (two) {
      // The still role's own size is the camera's full one.
      lc::StreamConfiguration& ssc = config_->at(1);
      still_size = ssc.size;
      if (!pick_yuv(ssc) || still_size == sc.size) return false;
#ifdef CAMSTREAM_LIBCAMERA_HAVE_COLOR_SPACE
      ssc.colorSpace = lc::ColorSpace::Sycc;
#endif
    }
    set_flips(*config_, flips_for(settings));
    if (config_->validate() == lc::CameraConfiguration::Invalid) {
      if (!two)
        error = "camera " + name + " refused a " + std::to_string(settings.width) + "x" +
                std::to_string(settings.height) + " YUV stream; try another --size";
      return false;
    }
    if (!is_yuv(sc)) {
      if (!two)
        error = "camera " + name + " will not deliver YUV 4:2:0 (it chose " +
                sc.pixelFormat.toString() + "); camstreamd cannot use it";
      return false;
    }
    // Two streams only as asked: a camera that shrinks the still or changes the video stream
    // to run both is better used with one.
    if (two &&
        (config_->size() != 2 || !is_yuv(config_->at(1)) || config_->at(1).size != still_size ||
         sc.size != lc::Size(static_cast<unsigned>(settings.width),
                             static_cast<unsigned>(settings.height))))
      return false;
    return true;
  }

  // Allocates `sc`'s buffers and describes them into `out`.
  bool describe_stream(const lc::StreamConfiguration& sc, const std::string& name,
                       CameraStream& out, std::vector<lc::FrameBuffer*>& buffers,
                       std::string& error) {
    if (allocator_->allocate(sc.stream()) < 0) {
      error = "camera " + name + " could not allocate its buffers";
      return false;
    }
    out.width = static_cast<int>(sc.size.width);
    out.height = static_cast<int>(sc.size.height);
    out.stride = static_cast<int>(sc.stride);
    out.layout = sc.pixelFormat == lc::formats::NV12 ? PixelLayout::kNv12 : PixelLayout::kYuv420;
    out.description = "camera " + name + " " + sc.size.toString() + " " + sc.pixelFormat.toString();
    for (const auto& fb : allocator_->buffers(sc.stream())) {
      std::vector<CameraPlane> planes;
      for (const lc::FrameBuffer::Plane& p : fb->planes()) {
        if (p.offset == lc::FrameBuffer::Plane::kInvalidOffset) {
          error = "camera " + name + " gave a buffer plane without an offset";
          return false;
        }
        planes.push_back(CameraPlane{p.fd.get(), p.offset, p.length});
      }
      out.buffers.push_back(std::move(planes));
      buffers.push_back(fb.get());
    }
    return true;
  }

  // What the control API lists: the sizes of the format in use, whether flips hold, and every
  // control with its menu labels and default.
  void build_capabilities(const lc::StreamConfiguration& sc) {
    capabilities_ = CameraCapabilities{};
    std::vector<lc::Size> sizes = sizes_taken(*camera_, sc.formats(), sc.pixelFormat);
    std::sort(sizes.begin(), sizes.end(), [](const lc::Size& a, const lc::Size& b) {
      return std::make_pair(a.width * a.height, a.width) >
             std::make_pair(b.width * b.height, b.width);
    });
    for (const lc::Size& size : sizes)
      capabilities_.sizes.emplace_back(static_cast<int>(size.width), static_cast<int>(size.height));
    if (capabilities_.sizes.empty())
      capabilities_.sizes.emplace_back(static_cast<int>(sc.size.width),
                                       static_cast<int>(sc.size.height));
    // Whether both mirrors (a 180 degree turn) survive validate() unchanged.
    if (const auto config = generate_video_configuration(*camera_); config && !config->empty()) {
      config->at(0).pixelFormat = sc.pixelFormat;
      config->at(0).size = sc.size;
      set_flips(*config, Flips{true, true});
      const Flips got =
          config->validate() != lc::CameraConfiguration::Invalid ? get_flips(*config) : Flips{};
      capabilities_.can_transform = got.h && got.v;
    }
    ranges_.clear();
    ids_.clear();
    for (const auto& [id, control_info] : camera_->controls()) {
      ranges_.push_back(to_range(*id, control_info));
      ids_.push_back(id);
    }
    capabilities_.controls = ranges_;
  }

  // The frame rate and the user's --control values, checked against the camera's own limits.
  bool build_controls(const CaptureSettings& settings, std::string& error) {
    const lc::ControlInfoMap& info = camera_->controls();
    controls_.emplace(info);
    if (settings.fps > 0) {
      const auto it = info.find(&lc::controls::FrameDurationLimits);
      if (it == info.end()) {
        log::info("camera " + camera_->id() +
                  " takes no frame rate (no FrameDurationLimits); it runs at its own");
      } else {
        if (const auto limits = frame_duration_limits(it->second, settings.fps)) {
          controls_->set(lc::controls::FrameDurationLimits,
                         lc::Span<const std::int64_t, 2>(*limits));
        }
      }
    }
    for (const auto& [name, text] : settings.controls) {
      const ControlRange* range = find_control(ranges_, name, error);
      if (!range) return false;
      std::vector<double> values;
      if (!parse_control_value(*range, text, values, error)) return false;
      const lc::ControlId* id = ids_[static_cast<std::size_t>(range - ranges_.data())];
      const lc::ControlValue value = to_value(*id, range->array, values);
      if (value.isNone()) {
        error = "--control " + name + "=" + text + ": " + name +
                " takes a kind of value --control cannot set";
        return false;
      }
      controls_->set(id->id(), value);
    }
    return true;
  }

  void on_request_completed(lc::Request* request) {
    CameraCompletion c;
    c.buffer = static_cast<int>(request->cookie());
    const lc::FrameBuffer* fb = nullptr;
    for (const auto& [stream, buffer] : request->buffers()) {
      if (stream == stream_) {
        fb = buffer;
      } else if (stream == still_stream_) {
        const auto it = std::find(still_buffers_.begin(), still_buffers_.end(), buffer);
        if (it != still_buffers_.end()) {
          c.still_buffer = static_cast<int>(it - still_buffers_.begin());
          c.still_ok = request->status() == lc::Request::RequestComplete &&
                       buffer->metadata().status == lc::FrameMetadata::FrameSuccess;
        }
      }
    }
    c.ok = request->status() == lc::Request::RequestComplete && fb &&
           fb->metadata().status == lc::FrameMetadata::FrameSuccess;
    if (const auto ts = request->metadata().get(lc::controls::SensorTimestamp)) {
      c.timestamp_ns = static_cast<std::uint64_t>(*ts);
    } else if (fb) {
      c.timestamp_ns = fb->metadata().timestamp;
    }
    std::lock_guard lock(callback_mutex_);
    if (on_complete_) on_complete_(c);
  }

  void on_disconnected() {
    std::lock_guard lock(callback_mutex_);
    if (on_disconnect_) on_disconnect_();
  }

  std::unique_ptr<lc::CameraManager> manager_;
  const std::string selector_;
  std::shared_ptr<lc::Camera> camera_;
  std::unique_ptr<lc::CameraConfiguration> config_;
  std::unique_ptr<lc::FrameBufferAllocator> allocator_;
  std::vector<std::unique_ptr<lc::Request>> requests_;  // request i captures video buffer i
  // With a still stream: request i captures video buffer i and the still buffer.
  std::vector<std::unique_ptr<lc::Request>> still_requests_;
  std::vector<lc::FrameBuffer*> video_buffers_;
  std::vector<lc::FrameBuffer*> still_buffers_;
  std::optional<lc::ControlList> controls_;  // for start(): the rate and --control values
  std::optional<lc::ControlList> pending_;   // for the next request queued
  CameraCapabilities capabilities_;
  std::vector<ControlRange> ranges_;  // the camera's controls, and their ids at the same index
  std::vector<const lc::ControlId*> ids_;
  lc::Stream* stream_ = nullptr;
  lc::Stream* still_stream_ = nullptr;  // null: no still stream
  bool started_ = false;
  std::mutex callback_mutex_;  // the camera's thread calls back while stop() may clear these
  CompletionFn on_complete_;
  DisconnectFn on_disconnect_;
};

}  // namespace

bool libcamera_built_in() {
  return true;
}

std::string libcamera_support() {
  // CameraManager::version() is the library loaded now; the build's version is pkg-config's.
  return std::string("on (built against libcamera ") + CAMSTREAM_LIBCAMERA_BUILT_VERSION +
         ", running with libcamera " + lc::CameraManager::version() + ")";
}

void set_libcamera_log_level(const char* level) {
  log_level = level;
}

int list_libcamera_cameras(std::string& out, std::string& error) {
  auto manager = start_manager(error);
  if (!manager) return -1;
  const auto cameras = manager->cameras();
  for (std::size_t i = 0; i < cameras.size(); ++i) {
    lc::Camera& camera = *cameras[i];
    out += std::to_string(i) + ": " + camera.id() + "\n    model: " + model_of(camera) + "\n";
    const auto config = generate_video_configuration(camera);
    if (!config || config->empty()) {
      out += "    (offers no video stream)\n";
      continue;
    }
    const lc::StreamFormats& formats = config->at(0).formats();
    for (const lc::PixelFormat& f : formats.pixelformats()) {
      const bool usable = f == lc::formats::YUV420 || f == lc::formats::NV12;
      out += "    " + f.toString() + (usable ? "" : " (not usable: not YUV 4:2:0)") + ":";
      const auto sizes = sizes_taken(camera, formats, f);
      if (sizes.empty()) out.append(" ").append(formats.range(f).toString());
      for (const lc::Size& s : sizes)
        out.append(" ").append(s.toString());
      out += "\n";
    }
  }
  return static_cast<int>(cameras.size());
}

std::unique_ptr<CameraDevice> make_libcamera_device(const std::string& selector,
                                                    std::string& error) {
  auto manager = start_manager(error);
  if (!manager) return nullptr;
  return std::make_unique<LibcameraDevice>(std::move(manager), selector);
}

}  // namespace camstream
