// layout.hpp - where pictures go in the window: the grid of cameras, letterboxing, 1:1 pixels.
#pragma once

#include <vector>

namespace camstream {

struct Rect {
  int x = 0;
  int y = 0;
  int w = 0;
  int h = 0;
  bool contains(int px, int py) const { return px >= x && px < x + w && py >= y && py < y + h; }
  bool operator==(const Rect&) const = default;
};

// `n` cells for pictures of aspect `aspect` (width / height) in a window of width×height: the
// columns and rows whose cells show the pictures largest, so two cameras sit side by side in a
// wide window and one above the other in a tall one. Cells in reading order; the last row may
// be short. Empty when n is 0.
std::vector<Rect> grid_cells(int n, int width, int height, double aspect);

// A picture of pw×ph in `cell`: as large as fits with its aspect kept, centred; or, with
// `one_to_one`, at its own size, centred (larger than the cell: cut by the cell).
Rect place_picture(const Rect& cell, int pw, int ph, bool one_to_one);

}  // namespace camstream
