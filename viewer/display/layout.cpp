// layout.cpp - grid and picture placement, pure arithmetic.
#include "viewer/display/layout.hpp"

#include <algorithm>

namespace camstream {

std::vector<Rect> grid_cells(int n, int width, int height, double aspect) {
  std::vector<Rect> cells;
  if (n <= 0 || width <= 0 || height <= 0) return cells;
  if (aspect <= 0) aspect = 16.0 / 9.0;
  int best_cols = 1;
  double best_area = -1;
  for (int cols = 1; cols <= n; ++cols) {
    const int rows = (n + cols - 1) / cols;
    const double cw = static_cast<double>(width) / cols;
    const double ch = static_cast<double>(height) / rows;
    const double pw = std::min(cw, ch * aspect);
    const double area = pw * (pw / aspect);
    // Ties go to fewer columns, so cells stay near the picture's shape.
    if (area > best_area + 1e-6) {
      best_area = area;
      best_cols = cols;
    }
  }
  const int cols = best_cols;
  const int rows = (n + cols - 1) / cols;
  for (int i = 0; i < n; ++i) {
    const int c = i % cols;
    const int r = i / cols;
    const int x0 = width * c / cols;
    const int x1 = width * (c + 1) / cols;
    const int y0 = height * r / rows;
    const int y1 = height * (r + 1) / rows;
    cells.push_back(Rect{x0, y0, x1 - x0, y1 - y0});
  }
  return cells;
}

Rect place_picture(const Rect& cell, int pw, int ph, bool one_to_one) {
  if (pw <= 0 || ph <= 0) return Rect{cell.x, cell.y, 0, 0};
  int w = pw, h = ph;
  if (!one_to_one) {
    // Integer arithmetic: which side limits decides, and the other follows the aspect.
    if (static_cast<long long>(cell.w) * ph <= static_cast<long long>(cell.h) * pw) {
      w = cell.w;
      h = static_cast<int>(static_cast<long long>(cell.w) * ph / pw);
    } else {
      h = cell.h;
      w = static_cast<int>(static_cast<long long>(cell.h) * pw / ph);
    }
  }
  return Rect{cell.x + (cell.w - w) / 2, cell.y + (cell.h - h) / 2, w, h};
}

}  // namespace camstream
