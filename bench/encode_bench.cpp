// encode_bench.cpp - raw TurboJPEG throughput (the baseline) and the test picture's cost.
//
// The daemon's throughput is judged as a ratio to tjCompressFromYUVPlanes on one core, so the
// baseline calls TurboJPEG directly, with the flags and output handling the encoder pool uses
// (4:2:0 planes, quality 80, a preallocated worst-case buffer), and nothing else.
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>
#include <turbojpeg.h>

#include "device/capture/pattern_source.hpp"
#include "shared/seqcode.hpp"
#include "shared/yuv.hpp"

namespace camstream {
namespace {

constexpr int kQuality = 80;
constexpr int kNoise = 11;  // the level scripts/bench uses for the "noisy" picture
// Frames cycled through, so the square moves and the grain changes as in a stream.
constexpr int kFrames = 8;

std::vector<Yuv420Image> pictures(int width, int height, bool noisy) {
  std::vector<Yuv420Image> out;
  const PatternNoise noise(kNoise);
  for (int i = 0; i < kFrames; ++i) {
    out.emplace_back(width, height);
    PatternSource::render(out.back(), static_cast<std::uint64_t>(i) * 7);
    if (noisy)
      noise.apply(out.back(), static_cast<std::uint64_t>(i), seqcode::layout_for(width, height).y0);
  }
  return out;
}

void BM_TjCompressFromYUVPlanes(benchmark::State& state) {
  const int width = static_cast<int>(state.range(0));
  const int height = static_cast<int>(state.range(1));
  const bool noisy = state.range(2) != 0;
  const auto images = pictures(width, height, noisy);
  tjhandle handle = tjInitCompress();
  const unsigned long capacity = tjBufSize(width, height, TJSAMP_420);
  std::vector<unsigned char> out(capacity);
  std::size_t bytes = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    const Yuv420Image& img = images[i++ % images.size()];
    const unsigned char* planes[3] = {img.y(), img.u(), img.v()};
    const int strides[3] = {img.y_stride(), img.uv_stride(), img.uv_stride()};
    unsigned char* dst = out.data();
    unsigned long size = capacity;
    if (tjCompressFromYUVPlanes(handle, planes, width, strides, height, TJSAMP_420, &dst, &size,
                                kQuality, TJFLAG_NOREALLOC) != 0) {
      state.SkipWithError(tjGetErrorStr2(handle));
      break;
    }
    bytes += size;
    benchmark::DoNotOptimize(out.data());
  }
  tjDestroy(handle);
  const double pixels = static_cast<double>(width) * height;
  state.counters["Mpixel/s"] = benchmark::Counter(
      pixels * static_cast<double>(state.iterations()) / 1e6, benchmark::Counter::kIsRate);
  state.counters["fps"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["jpeg_kB"] = state.iterations() ? static_cast<double>(bytes) / 1000.0 /
                                                       static_cast<double>(state.iterations())
                                                 : 0;
}

// Drawing the clean picture: what the source costs before any grain or encoding.
void BM_RenderPattern(benchmark::State& state) {
  Yuv420Image img(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  std::uint64_t seq = 0;
  for (auto _ : state) {
    PatternSource::render(img, seq++);
    benchmark::DoNotOptimize(img.y());
  }
  state.counters["fps"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// The grain alone, laid over an already drawn picture.
void BM_PatternNoise(benchmark::State& state) {
  const int width = static_cast<int>(state.range(0));
  const int height = static_cast<int>(state.range(1));
  Yuv420Image img(width, height);
  PatternSource::render(img, 0);
  const PatternNoise noise(kNoise);
  const int rows = seqcode::layout_for(width, height).y0;
  std::uint64_t seq = 0;
  for (auto _ : state) {
    noise.apply(img, seq++, rows);
    benchmark::DoNotOptimize(img.y());
  }
  state.counters["fps"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void sizes(benchmark::internal::Benchmark* b, bool with_noise_flag) {
  for (const auto& [w, h] : {std::pair{640, 480}, std::pair{1280, 720}, std::pair{1920, 1080}}) {
    if (with_noise_flag) {
      b->Args({w, h, 0});
      b->Args({w, h, 1});
    } else {
      b->Args({w, h});
    }
  }
}

BENCHMARK(BM_TjCompressFromYUVPlanes)
    ->Apply([](benchmark::internal::Benchmark* b) { sizes(b, true); })
    ->ArgNames({"w", "h", "noisy"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_RenderPattern)
    ->Apply([](benchmark::internal::Benchmark* b) { sizes(b, false); })
    ->ArgNames({"w", "h"})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PatternNoise)
    ->Apply([](benchmark::internal::Benchmark* b) { sizes(b, false); })
    ->ArgNames({"w", "h"})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace camstream

BENCHMARK_MAIN();
