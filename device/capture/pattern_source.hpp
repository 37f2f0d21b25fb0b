// pattern_source.hpp - the test pattern: a source that draws a moving YUV 4:2:0 picture.
// picture.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "device/capture/demand.hpp"
#include "device/capture/frame_source.hpp"
#include "device/capture/image_pool.hpp"
#include "shared/yuv.hpp"

namespace camstream {

// Sensor-like grain laid over a picture. A flat picture compresses to a tenth of what a
// camera's does and encodes about twice as fast, so benchmarks need this to be honest. The
// noise is drawn once into a table; each frame adds rows of it starting at places picked from
// the frame number, so every frame's grain differs while the cost stays one saturating add
// per sample (kept apart from the encoder in the benchmarks).
class PatternNoise {
 public:
  // `level`: the luma noise's standard deviation in code values (chroma gets half); 1 to 64.
  explicit PatternNoise(int level);

  // Adds frame `seq`'s grain to every row above `rows_end` (the seqcode stays clean).
  void apply(Yuv420Image& image, std::uint64_t seq, int rows_end) const;
  int level() const { return level_; }

  // Per sample, what the grain adds and what it subtracts (one of the two is 0).
  struct Table {
    std::vector<std::uint8_t> add;
    std::vector<std::uint8_t> sub;
  };

 private:
  int level_;
  Table luma_;
  Table chroma_;
};

// The picture: eight colour bars (white, yellow, cyan, green, magenta, red, blue, black)
// across the top, a white square sliding over a grey band below them, and the frame's
// sequence number as a seqcode at the bottom. Everything is drawn straight in YUV.
class PatternSource final : public FrameSource {
 public:
  // `fps` 0 means as fast as the sink takes frames. `buffers` bounds the frames in flight.
  PatternSource(int width, int height, double fps, int buffers);
  ~PatternSource() override;

  // Before start(): camera-like grain of this level (PatternNoise); 0 = the clean picture.
  void set_noise(int level);
  // Before start(): draw a frame only while `demand` wants one, and sleep (no drawing, no
  // encoding) while it does not. Without it, frames are drawn all the time.
  void set_demand(Demand* demand) { demand_ = demand; }

  void start(FrameSink& sink) override;
  void stop() override;
  std::string describe() const override;
  SourceStats stats() const override;
  int width() const override { return width_.load(); }
  int height() const override { return height_.load(); }
  SourceMode mode() const override;
  // Size and rate change from the next frame on; the pattern cannot flip or rotate.
  bool set_mode(const SourceMode& mode, std::string& error) override;
  // Stills are drawn at 1920x1080, like a 1080p sensor's full frame, beside the stream.
  std::pair<int, int> still_size() const override { return {kStillWidth, kStillHeight}; }
  bool request_still(std::string& error) override;
  static constexpr int kStillWidth = 1920;
  static constexpr int kStillHeight = 1080;

  // Draws frame `seq` into `image` (width x height). Public for tests and benchmarks.
  static void render(Yuv420Image& image, std::uint64_t seq);

  // The eight bar colours, full-range YUV, left to right.
  struct Yuv {
    std::uint8_t y, u, v;
  };
  static const Yuv kBars[8];
  // The bar area is rows [0, bars_height(h)); bar i spans columns [bar_left(w, i), bar_left(w,
  // i+1)).
  static int bars_height(int height);
  static int bar_left(int width, int i);

 private:
  void run(FrameSink& sink, std::stop_token stop);
  // Draws and offers the still asked for, if one is; a refused one stays wanted.
  void offer_still(FrameSink& sink, std::uint64_t seq);

  const int buffers_;
  std::atomic<int> width_;
  std::atomic<int> height_;
  mutable std::mutex mode_mutex_;
  SourceMode mode_;  // under mode_mutex_: what set_mode() asked for
  std::atomic<bool> mode_changed_{false};
  std::atomic<bool> still_wanted_{false};  // a still is to be drawn
  std::atomic<bool> still_new_{false};     // ... and was asked for since the last frame
  std::unique_ptr<PatternNoise> noise_;
  Demand* demand_ = nullptr;
  std::stop_source stop_source_;
  ImagePool pool_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> captured_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace camstream
