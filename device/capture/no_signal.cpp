// no_signal.cpp - rendering the no-signal picture with a 5x7 font of the nine letters it needs.
#include "device/capture/no_signal.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace camstream {
namespace {

constexpr std::uint8_t kBackY = 40;
// Full-range BT.601 red, darkened: visible on any screen, not mistaken for a picture.
constexpr std::uint8_t kBandY = 60, kBandU = 110, kBandV = 200;
constexpr std::uint8_t kTextY = 235;

// Rows of each glyph, top to bottom; bit 4 is the leftmost column.
struct Glyph {
  char c;
  std::uint8_t rows[7];
};
constexpr Glyph kFont[] = {
    {'N', {0x11, 0x19, 0x15, 0x13, 0x11, 0x11, 0x11}},
    {'O', {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}},
    {'S', {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}},
    {'I', {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'G', {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}},
    {'A', {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
    {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}},
    {' ', {0, 0, 0, 0, 0, 0, 0}},
};
constexpr char kText[] = "NO SIGNAL";
constexpr int kChars = sizeof kText - 1;

const Glyph& glyph(char c) {
  for (const Glyph& g : kFont) {
    if (g.c == c) return g;
  }
  return kFont[7];
}

void fill(Yuv420Image& img, int x0, int y0, int x1, int y1, std::uint8_t y, std::uint8_t u,
          std::uint8_t v) {
  for (int row = y0; row < y1; ++row)
    std::memset(img.y() + row * img.y_stride() + x0, y, static_cast<std::size_t>(x1 - x0));
  for (int row = y0 / 2; row < (y1 + 1) / 2; ++row) {
    std::memset(img.u() + row * img.uv_stride() + x0 / 2, u,
                static_cast<std::size_t>((x1 + 1) / 2 - x0 / 2));
    std::memset(img.v() + row * img.uv_stride() + x0 / 2, v,
                static_cast<std::size_t>((x1 + 1) / 2 - x0 / 2));
  }
}

struct Layout {
  int scale, text_x, text_y, band_y0, band_y1;
};

Layout layout_for(int w, int h) {
  Layout l{};
  // Each glyph is 5 cells plus 1 of spacing; the text takes at most 80% of the width.
  l.scale = std::max(1, std::min(w * 8 / 10 / (kChars * 6), h / 4 / 7));
  const int text_w = (kChars * 6 - 1) * l.scale;
  l.text_x = (w - text_w) / 2;
  l.text_y = (h - 7 * l.scale) / 2;
  l.band_y0 = std::max(0, (l.text_y - 2 * l.scale) / 2 * 2);
  l.band_y1 = std::min(h, (l.text_y + 9 * l.scale + 1) / 2 * 2);
  return l;
}

}  // namespace

void render_no_signal(Yuv420Image& img) {
  const int w = img.width(), h = img.height();
  const Layout l = layout_for(w, h);
  fill(img, 0, 0, w, h, kBackY, 128, 128);
  fill(img, 0, l.band_y0, w, l.band_y1, kBandY, kBandU, kBandV);
  for (int i = 0; i < kChars; ++i) {
    const Glyph& g = glyph(kText[i]);
    for (int gy = 0; gy < 7; ++gy) {
      for (int gx = 0; gx < 5; ++gx) {
        if (!(g.rows[gy] & (0x10 >> gx))) continue;
        const int x0 = l.text_x + (i * 6 + gx) * l.scale;
        const int y0 = l.text_y + gy * l.scale;
        for (int row = y0; row < y0 + l.scale; ++row)
          std::memset(img.y() + row * img.y_stride() + x0, kTextY,
                      static_cast<std::size_t>(l.scale));
      }
    }
  }
}

bool looks_like_no_signal(const Yuv420View& v) {
  if (v.width < 32 || v.height < 16) return false;
  const Layout l = layout_for(v.width, v.height);
  auto near = [](int a, int b) { return std::abs(a - b) <= 12; };
  // A point of the band left of the text, and the top-left corner.
  const int bx = l.text_x / 2, by = (l.band_y0 + l.text_y) / 2;
  const int band_y = v.y[by * v.y_stride + bx];
  const int band_v = v.v[(by / 2) * v.uv_stride + bx / 2];
  const int corner_y = v.y[(v.height / 8) * v.y_stride + 2];
  return near(band_y, kBandY) && near(band_v, kBandV) && near(corner_y, kBackY);
}

}  // namespace camstream
