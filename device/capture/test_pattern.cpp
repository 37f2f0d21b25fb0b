// test_pattern.cpp - the generated source: drawing in YUV and pacing frames on its own thread.
#include "device/capture/test_pattern.hpp"

#include <chrono>
#include <cstring>
#include <string>

#include "shared/clock.hpp"
#include "shared/seqcode.hpp"

namespace camstream {

// Full-range BT.601 (JFIF) values of the 100% bars.
const TestPattern::Yuv TestPattern::kBars[8] = {
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

int TestPattern::bars_height(int height) {
  return (height * 55 / 100) / 16 * 16;
}

int TestPattern::bar_left(int width, int i) {
  if (i >= 8) return width;
  return (width * i / 8) / 16 * 16;
}

void TestPattern::render(Yuv420Image& img, std::uint64_t seq) {
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

struct TestPattern::Pool {
  std::mutex mutex;
  std::vector<std::unique_ptr<Yuv420Image>> free;
};

TestPattern::TestPattern(int width, int height, double fps, int buffers)
    : width_(width), height_(height), fps_(fps), pool_(std::make_shared<Pool>()) {
  for (int i = 0; i < buffers; ++i)
    pool_->free.push_back(std::make_unique<Yuv420Image>(width, height));
}

TestPattern::~TestPattern() {
  stop();
}

void TestPattern::start(FrameSink& sink) {
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this, &sink] { run(sink); });
}

void TestPattern::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string TestPattern::describe() const {
  return "test pattern " + std::to_string(width_) + "x" + std::to_string(height_);
}

SourceStats TestPattern::stats() const {
  return SourceStats{captured_.load(), dropped_.load()};
}

void TestPattern::run(FrameSink& sink) {
  using Clock = std::chrono::steady_clock;
  const bool paced = fps_ > 0;
  const auto period =
      paced ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / fps_))
            : Clock::duration::zero();
  auto next = Clock::now();
  std::uint64_t seq = 0;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (paced) wake_.wait_until(lock, next, [this] { return stopping_; });
      if (stopping_) return;
    }
    if (paced) {
      next += period;
      // After a stall, keep the rate rather than burst to catch up.
      const auto now = Clock::now();
      if (next < now) next = now + period;
    }

    std::unique_ptr<Yuv420Image> image;
    {
      std::lock_guard lock(pool_->mutex);
      if (!pool_->free.empty()) {
        image = std::move(pool_->free.back());
        pool_->free.pop_back();
      }
    }
    if (!image) {
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
    captured_.fetch_add(1, std::memory_order_relaxed);
    auto raw = std::make_unique<RawFrame>(RawFrame{seq++, monotonic_us(), image->view()});
    // The deleter returns the image to the pool, which outlives the source if it must.
    RawFramePtr frame(raw.release(), [pool = pool_, img = image.release()](const RawFrame* f) {
      delete f;
      std::lock_guard lock(pool->mutex);
      pool->free.emplace_back(img);
    });
    if (!sink.offer(std::move(frame))) dropped_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace camstream
