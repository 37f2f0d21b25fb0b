// pattern_source.cpp - the test pattern: drawing in YUV and pacing frames on its own thread.
#include "device/capture/pattern_source.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include <pthread.h>

#include "shared/clock.hpp"
#include "shared/seqcode.hpp"

namespace camstream {

// Full-range BT.601 (JFIF) values of the 100% bars.
const PatternSource::Yuv PatternSource::kBars[8] = {
    {255, 128, 128},  // white
    {226, 1, 149},    // yellow
    {179, 171, 1},    // cyan
    {150, 44, 21},    // green
    {105, 212, 235},  // magenta
    {76, 85, 255},    // red
    {29, 255, 107},   // blue
    {0, 128, 128},    // black
};

namespace {

constexpr std::uint8_t kBandY = 96;
constexpr std::uint8_t kCodeBackgroundY = 16;

void fill_rect(Yuv420Image& img, int x0, int y0, int x1, int y1, std::uint8_t y, std::uint8_t u,
               std::uint8_t v) {
  for (int row = y0; row < y1; ++row) {
    std::memset(img.y() + row * img.y_stride() + x0, y, static_cast<size_t>(x1 - x0));
  }
  // Rectangles start and end on even coordinates, so chroma covers exactly the same area.
  for (int row = y0 / 2; row < (y1 + 1) / 2; ++row) {
    std::memset(img.u() + row * img.uv_stride() + x0 / 2, u,
                static_cast<size_t>((x1 - x0 + 1) / 2));
    std::memset(img.v() + row * img.uv_stride() + x0 / 2, v,
                static_cast<size_t>((x1 - x0 + 1) / 2));
  }
}

}  // namespace

int PatternSource::bars_height(int height) {
  return (height * 55 / 100) / 16 * 16;
}

int PatternSource::bar_left(int width, int i) {
  if (i >= 8) return width;
  return (width * i / 8) / 16 * 16;
}

void PatternSource::render(Yuv420Image& img, std::uint64_t seq) {
  const int w = img.width();
  const int h = img.height();
  const int bars_h = bars_height(h);
  const seqcode::Layout code = seqcode::layout_for(w, h);
  for (int i = 0; i < 8; ++i) {
    fill_rect(img, bar_left(w, i), 0, bar_left(w, i + 1), bars_h, kBars[i].y, kBars[i].u,
              kBars[i].v);
  }
  fill_rect(img, 0, bars_h, w, code.y0, kBandY, 128, 128);
  fill_rect(img, 0, code.y0, w, h, kCodeBackgroundY, 128, 128);

  // The square crosses the band in 120 frames: four seconds at 30 fps.
  const int band_h = code.y0 - bars_h;
  const int side = std::max(2, (band_h * 3 / 4) / 2 * 2);
  const int travel = std::max(2, w - side);
  const int x = static_cast<int>((seq % 120) * static_cast<std::uint64_t>(travel) / 120) / 2 * 2;
  const int y = (bars_h + (band_h - side) / 2) / 2 * 2;
  fill_rect(img, x, y, x + side, y + side, 235, 128, 128);

  seqcode::draw(img.y(), img.y_stride(), w, h, static_cast<std::uint32_t>(seq));
}

namespace {

// Large enough that a row's start, picked anew each frame, rarely repeats a neighbour's grain.
constexpr std::size_t kNoiseTable = std::size_t{1} << 20;

// The grain split into what it adds and what it takes away (one of them 0 per sample), so
// that applying it is two saturating operations on unsigned bytes.
PatternNoise::Table noise_table(double sigma, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, sigma);
  PatternNoise::Table table;
  table.add.resize(kNoiseTable);
  table.sub.resize(kNoiseTable);
  for (std::size_t i = 0; i < kNoiseTable; ++i) {
    const long n = std::clamp(std::lround(normal(rng)), -255L, 255L);
    table.add[i] = static_cast<std::uint8_t>(n > 0 ? n : 0);
    table.sub[i] = static_cast<std::uint8_t>(n < 0 ? -n : 0);
  }
  return table;
}

// Where row `row` of frame `seq` starts reading the table: a mix of both, so rows and frames
// get unrelated grain.
std::size_t noise_offset(std::uint64_t seq, int row, std::size_t span) {
  std::uint64_t x =
      seq * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(row) * 0xBF58476D1CE4E5B9ull;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 29;
  return static_cast<std::size_t>(x % span);
}

// Sixteen bytes at a time with the compilers' portable vector types (SSE2 on x86, NEON on
// Arm): saturating add and subtract, written as wrap-around plus a mask.
using Bytes16 = std::uint8_t __attribute__((vector_size(16)));

void add_row(std::uint8_t* row, const std::uint8_t* add, const std::uint8_t* sub, int width) {
  int x = 0;
  for (; x + 16 <= width; x += 16) {
    Bytes16 v, a, s;
    std::memcpy(&v, row + x, 16);
    std::memcpy(&a, add + x, 16);
    std::memcpy(&s, sub + x, 16);
    Bytes16 up = v + a;
    up |= reinterpret_cast<Bytes16>(up < v);  // wrapped past 255: all ones
    Bytes16 down = up - s;
    down &= reinterpret_cast<Bytes16>(down <= up);  // wrapped below 0: zero
    std::memcpy(row + x, &down, 16);
  }
  for (; x < width; ++x) {
    const int v = row[x] + add[x] - sub[x];
    row[x] = static_cast<std::uint8_t>(std::clamp(v, 0, 255));
  }
}

}  // namespace

PatternNoise::PatternNoise(int level)
    : level_(level),
      luma_(noise_table(level, 0x5eed0001u)),
      chroma_(noise_table(level / 2.0, 0x5eed0002u)) {}

void PatternNoise::apply(Yuv420Image& img, std::uint64_t seq, int rows_end) const {
  const int w = img.width();
  const int rows = std::min(rows_end, img.height());
  const std::size_t span = kNoiseTable - static_cast<std::size_t>(w);
  for (int row = 0; row < rows; ++row) {
    const std::size_t at = noise_offset(seq, row, span);
    add_row(img.y() + row * img.y_stride(), luma_.add.data() + at, luma_.sub.data() + at, w);
  }
  const int cw = chroma_width(w);
  const std::size_t cspan = kNoiseTable - static_cast<std::size_t>(cw);
  for (int row = 0; row < rows / 2; ++row) {
    const std::size_t u_at = noise_offset(seq, row, cspan);
    const std::size_t v_at = noise_offset(seq + 0x10000, row, cspan);
    add_row(img.u() + row * img.uv_stride(), chroma_.add.data() + u_at, chroma_.sub.data() + u_at,
            cw);
    add_row(img.v() + row * img.uv_stride(), chroma_.add.data() + v_at, chroma_.sub.data() + v_at,
            cw);
  }
}

PatternSource::PatternSource(int width, int height, double fps, int buffers)
    : buffers_(buffers), width_(width), height_(height) {
  mode_.width = width;
  mode_.height = height;
  mode_.fps = fps;
  pool_.add(buffers, width, height);
}

SourceMode PatternSource::mode() const {
  std::lock_guard lock(mode_mutex_);
  return mode_;
}

bool PatternSource::set_mode(const SourceMode& mode, std::string& error) {
  if (mode.hflip || mode.vflip || mode.rotate != 0) {
    error = "the test pattern cannot flip or rotate; a camera can";
    return false;
  }
  {
    std::lock_guard lock(mode_mutex_);
    mode_ = mode;
  }
  mode_changed_ = true;
  {
    std::lock_guard lock(mutex_);  // a paced wait re-reads the period
  }
  wake_.notify_all();
  return true;
}

bool PatternSource::request_still(std::string& /*error*/) {
  still_wanted_ = true;
  still_new_ = true;
  // Wakes a loop asleep for want of watchers: the still needs a turn of it.
  if (demand_ != nullptr) demand_->request_frame();
  wake_.notify_all();
  return true;
}

void PatternSource::offer_still(FrameSink& sink, std::uint64_t seq) {
  if (!still_wanted_.exchange(false)) return;
  auto image = std::make_unique<Yuv420Image>(kStillWidth, kStillHeight);
  render(*image, seq);
  if (noise_) noise_->apply(*image, seq, seqcode::layout_for(kStillWidth, kStillHeight).y0);
  auto* raw = new RawFrame{seq, monotonic_us(), image->view(), true};
  RawFramePtr frame(raw, [keep = std::shared_ptr<Yuv420Image>(std::move(image))](
                             const RawFrame* f) { delete f; });
  if (!sink.offer(std::move(frame))) {
    // Every encoder busy: the next turn tries again.
    still_wanted_ = true;
    if (demand_ != nullptr) demand_->request_frame();
  }
}

PatternSource::~PatternSource() {
  stop();
}

void PatternSource::set_noise(int level) {
  noise_ = level > 0 ? std::make_unique<PatternNoise>(level) : nullptr;
}

void PatternSource::start(FrameSink& sink) {
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  stop_source_ = std::stop_source();
  thread_ = std::thread([this, &sink, token = stop_source_.get_token()] {
    // Named for top -H and for the benchmarks, which tell drawing from encoding by it.
    pthread_setname_np(pthread_self(), "capture");
    run(sink, token);
  });
}

void PatternSource::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_source_.request_stop();  // wakes a capture thread that waits for demand
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string PatternSource::describe() const {
  return "test pattern " + std::to_string(width_.load()) + "x" + std::to_string(height_.load()) +
         (noise_ ? " with noise " + std::to_string(noise_->level()) : std::string());
}

SourceStats PatternSource::stats() const {
  return SourceStats{captured_.load(), dropped_.load()};
}

void PatternSource::run(FrameSink& sink, std::stop_token stop) {
  using Clock = std::chrono::steady_clock;
  bool paced = false;
  Clock::duration period{};
  int width = width_, height = height_;
  // The mode as set_mode() left it: read at the start and whenever it changes.
  const auto take_mode = [&] {
    const SourceMode m = mode();
    paced = m.fps > 0;
    period = paced ? std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(1.0 / m.fps))
                   : Clock::duration::zero();
    if (m.width != width || m.height != height) {
      width = m.width;
      height = m.height;
      pool_.add(buffers_, width, height);  // take() drops the old size's images as they return
      width_ = width;
      height_ = height;
    }
  };
  mode_changed_ = false;
  take_mode();
  auto next = Clock::now();
  std::uint64_t seq = 0;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (paced) {
        wake_.wait_until(lock, next,
                         [this] { return stopping_ || mode_changed_.load() || still_new_.load(); });
      }
      if (stopping_) return;
    }
    if (mode_changed_.exchange(false)) {
      take_mode();
      if (next > Clock::now() + period) next = Clock::now() + period;  // slower: no long wait
      if (next > Clock::now()) continue;  // faster or the same: wait for the new period
    }
    if (still_new_.exchange(false) && paced && Clock::now() < next) {
      // A still between two frames of the stream, drawn now rather than at the next tick (a
      // still the encoders refuse is tried again at the ticks).
      offer_still(sink, seq > 0 ? seq - 1 : 0);
      continue;
    }
    // Nobody watching: sleep here, drawing and encoding nothing, until someone is.
    if (demand_ != nullptr && !demand_->acquire(stop)) return;
    if (paced) {
      next += period;
      // After a stall, keep the rate rather than burst to catch up.
      const auto now = Clock::now();
      if (next < now) next = now + period;
    }

    offer_still(sink, seq);
    std::unique_ptr<Yuv420Image> image = pool_.take(width, height);
    if (!image) {
      // A snapshot request taken for this frame must wait for the next one.
      if (demand_ != nullptr) demand_->release_request();
      if (paced) {
        // A camera would have captured this one and had nowhere to put it.
        ++seq;
        captured_.fetch_add(1, std::memory_order_relaxed);
        dropped_.fetch_add(1, std::memory_order_relaxed);
      } else {
        // Unpaced: wait briefly for a buffer to come back rather than spin.
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, std::chrono::microseconds(200), [this] { return stopping_; });
      }
      continue;
    }
    render(*image, seq);
    if (noise_) noise_->apply(*image, seq, seqcode::layout_for(width, height).y0);
    captured_.fetch_add(1, std::memory_order_relaxed);
    RawFramePtr frame = pool_.frame(std::move(image), seq++, monotonic_us());
    // Unpaced, the encoders set the rate: the next frame is drawn while they work and waits
    // for one of them, so none is drawn only to be refused.
    const bool taken =
        paced ? sink.offer(std::move(frame)) : sink.offer_wait(std::move(frame), stop);
    if (!taken) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      if (demand_ != nullptr) demand_->release_request();
    }
  }
}

}  // namespace camstream
