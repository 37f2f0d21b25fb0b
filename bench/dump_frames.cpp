// dump_frames.cpp - writes camstreamd's own test pattern as raw I420, so that the peers
// (GStreamer, ffmpeg) can encode the very same frames in benchmark 5.
//
//   camstream_bench_dump --size 1280x720 --frames 60 [--noise 11] --out FILE
//
// Frame i is what the daemon's capture thread hands over with sequence number i: the pattern,
// then the grain if asked for. Planes are tightly packed (Y, then U, then V), no header.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "device/capture/pattern_source.hpp"
#include "shared/seqcode.hpp"
#include "shared/yuv.hpp"

int main(int argc, char** argv) {
  using namespace camstream;
  int width = 1280, height = 720, frames = 60, noise_level = 0;
  std::string out;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--size") {
      if (std::sscanf(v.c_str(), "%dx%d", &width, &height) != 2) return 2;
    } else if (a == "--frames") {
      frames = std::atoi(v.c_str());
    } else if (a == "--noise") {
      noise_level = std::atoi(v.c_str());
    } else if (a == "--out") {
      out = v;
    } else {
      std::fprintf(stderr, "usage: %s --size WxH --frames N [--noise L] --out FILE\n", argv[0]);
      return 2;
    }
  }
  if (out.empty() || frames <= 0) {
    std::fprintf(stderr, "usage: %s --size WxH --frames N [--noise L] --out FILE\n", argv[0]);
    return 2;
  }
  std::FILE* f = std::fopen(out.c_str(), "wb");
  if (f == nullptr) {
    std::perror(out.c_str());
    return 1;
  }
  const PatternNoise noise(noise_level);
  Yuv420Image img(width, height);
  const std::size_t luma = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
  const std::size_t chroma = static_cast<std::size_t>(chroma_width(width)) *
                             static_cast<std::size_t>(chroma_height(height));
  for (int i = 0; i < frames; ++i) {
    const auto seq = static_cast<std::uint64_t>(i);
    PatternSource::render(img, seq);
    if (noise_level > 0) noise.apply(img, seq, seqcode::layout_for(width, height).y0);
    if (std::fwrite(img.y(), 1, luma, f) != luma || std::fwrite(img.u(), 1, chroma, f) != chroma ||
        std::fwrite(img.v(), 1, chroma, f) != chroma) {
      std::perror(out.c_str());
      std::fclose(f);
      return 1;
    }
  }
  return std::fclose(f) == 0 ? 0 : 1;
}
