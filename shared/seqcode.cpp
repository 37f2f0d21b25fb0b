// seqcode.cpp - drawing and reading the sequence-number code.
#include "shared/seqcode.hpp"

#include <algorithm>
#include <cstring>

namespace camstream::seqcode {
namespace {

constexpr std::uint8_t kWhite = 235;
constexpr std::uint8_t kBlack = 16;

void fill_cell(std::uint8_t* luma, int stride, int x, int y, int cell, bool on) {
  for (int row = 0; row < cell; ++row) {
    std::memset(luma + (y + row) * stride + x, on ? kWhite : kBlack, static_cast<size_t>(cell));
  }
}

// Mean of the cell's central half, which JPEG ringing at the edges does not reach.
bool cell_on(const std::uint8_t* luma, int stride, int x, int y, int cell) {
  const int margin = cell / 4;
  int sum = 0, count = 0;
  for (int row = y + margin; row < y + cell - margin; ++row) {
    for (int col = x + margin; col < x + cell - margin; ++col) {
      sum += luma[row * stride + col];
      ++count;
    }
  }
  return sum > 128 * count;
}

}  // namespace

Layout layout_for(int width, int height) {
  Layout l;
  l.cell = std::clamp((width / 40) / 8 * 8, 8, 32);
  l.x0 = l.cell;
  l.y0 = std::max(0, (height - 3 * l.cell) / 8 * 8);
  return l;
}

void draw(std::uint8_t* luma, int stride, int width, int height, std::uint32_t value) {
  const Layout l = layout_for(width, height);
  for (int row = 0; row < 2; ++row) {
    const std::uint32_t bits = row == 0 ? value : ~value;
    for (int i = 0; i < kBits; ++i) {
      const bool on = ((bits >> (kBits - 1 - i)) & 1u) != 0;
      fill_cell(luma, stride, l.x0 + i * l.cell, l.y0 + row * l.cell, l.cell, on);
    }
  }
}

std::optional<std::uint32_t> read(const std::uint8_t* luma, int stride, int width, int height) {
  if (width < kMinWidth || height < kMinHeight) return std::nullopt;
  const Layout l = layout_for(width, height);
  std::uint32_t rows[2] = {0, 0};
  for (int row = 0; row < 2; ++row) {
    for (int i = 0; i < kBits; ++i) {
      rows[row] = (rows[row] << 1) |
                  (cell_on(luma, stride, l.x0 + i * l.cell, l.y0 + row * l.cell, l.cell) ? 1u : 0u);
    }
  }
  if (rows[0] != ~rows[1]) return std::nullopt;
  return rows[0];
}

}  // namespace camstream::seqcode
