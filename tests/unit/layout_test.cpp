// layout_test.cpp - the grid follows the window's shape; pictures keep their aspect.
#include "viewer/display/layout.hpp"

#include <gtest/gtest.h>

namespace camstream {
namespace {

TEST(Layout, TwoCamerasSideBySideInAWideWindowAndStackedInATallOne) {
  const auto wide = grid_cells(2, 1600, 450, 16.0 / 9);
  ASSERT_EQ(wide.size(), 2u);
  EXPECT_EQ(wide[0], (Rect{0, 0, 800, 450}));
  EXPECT_EQ(wide[1], (Rect{800, 0, 800, 450}));
  const auto tall = grid_cells(2, 800, 900, 16.0 / 9);
  EXPECT_EQ(tall[0], (Rect{0, 0, 800, 450}));
  EXPECT_EQ(tall[1], (Rect{0, 450, 800, 450}));
}

TEST(Layout, FourInASquarishWindowIsTwoByTwo) {
  const auto cells = grid_cells(4, 1280, 720, 16.0 / 9);
  ASSERT_EQ(cells.size(), 4u);
  EXPECT_EQ(cells[3], (Rect{640, 360, 640, 360}));
}

TEST(Layout, CellsCoverTheWindowWithoutOverlap) {
  for (int n = 1; n <= 9; ++n) {
    const auto cells = grid_cells(n, 1001, 777, 4.0 / 3);
    ASSERT_EQ(static_cast<int>(cells.size()), n);
    long long area = 0;
    for (const Rect& c : cells)
      area += static_cast<long long>(c.w) * c.h;
    EXPECT_LE(area, 1001LL * 777);
    for (std::size_t i = 0; i < cells.size(); ++i)
      for (std::size_t j = i + 1; j < cells.size(); ++j)
        EXPECT_FALSE(cells[i].contains(cells[j].x, cells[j].y)) << n << ": " << i << ", " << j;
  }
  EXPECT_TRUE(grid_cells(0, 100, 100, 1).empty());
}

TEST(Layout, PicturesAreLetterboxedOrShownOneToOne) {
  const Rect cell{100, 0, 800, 800};
  EXPECT_EQ(place_picture(cell, 640, 480, false), (Rect{100, 100, 800, 600}));
  EXPECT_EQ(place_picture(cell, 640, 480, true), (Rect{180, 160, 640, 480}));
  // Larger than the cell at 1:1: centred, the cell cuts it.
  EXPECT_EQ(place_picture(Rect{0, 0, 100, 100}, 200, 100, true), (Rect{-50, 0, 200, 100}));
}

}  // namespace
}  // namespace camstream
