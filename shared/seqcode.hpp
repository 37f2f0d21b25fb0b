// seqcode.hpp - a frame's sequence number drawn into, and read back from, its luma pixels.
//
// The test pattern draws the code; tests and `camview --check-pattern` read it back from the
// decoded picture, which proves that the pixels on screen belong to the frame the header
// names. Two rows of 32 square cells near the bottom edge: the first row holds the low 32 bits
// of the sequence number (most significant bit left, white = 1), the second row their
// complement, so a damaged or absent code is detected instead of misread.
#pragma once

#include <cstdint>
#include <optional>

namespace camstream::seqcode {

inline constexpr int kBits = 32;
inline constexpr int kMinWidth = 320;  // smallest frame the code fits in
inline constexpr int kMinHeight = 240;

struct Layout {
  int cell = 0;  // cell edge in pixels, a multiple of 8 so cells align with JPEG blocks
  int x0 = 0;    // left edge of the first cell
  int y0 = 0;    // top edge of the first row
};

// Where the code sits in a width x height frame (both at least kMinWidth x kMinHeight).
Layout layout_for(int width, int height);

// The rows from layout.y0 to the bottom edge belong to the code: the pattern keeps them black.
void draw(std::uint8_t* luma, int stride, int width, int height, std::uint32_t value);

// The value, or nothing when the rows disagree (no code there, or damaged beyond reading).
std::optional<std::uint32_t> read(const std::uint8_t* luma, int stride, int width, int height);

}  // namespace camstream::seqcode
