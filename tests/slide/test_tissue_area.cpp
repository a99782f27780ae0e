// The tissue area a slide summary reports: mask pixels counted by their centres, inside a
// rectangle and inside the regions of interest.
#include <gtest/gtest.h>

#include "slide/tissue_mask.hpp"

namespace muse::slide {
namespace {

// A 4x4 mask of 10-level-0-px pixels with tissue in its left half.
TissueMask left_half() {
    TissueMask m;
    m.width = 4;
    m.height = 4;
    m.level0_per_px = 10.0;
    m.on.assign(16, 0);
    for (int r = 0; r < 4; ++r) m.on[r * 4] = m.on[r * 4 + 1] = 1;
    return m;
}

TEST(TissueArea, CountsTissuePixelsWhoseCentreLiesInTheRectangle) {
    const TissueMask m = left_half();
    EXPECT_DOUBLE_EQ(m.tissue_area_px2(0, 0, 40, 40, {}), 8 * 100.0);
    EXPECT_DOUBLE_EQ(m.tissue_area_px2(0, 0, 15, 40, {}), 4 * 100.0);   // centres at x = 5 only
    EXPECT_DOUBLE_EQ(m.tissue_area_px2(20, 0, 40, 40, {}), 0.0);        // the glass half
    EXPECT_DOUBLE_EQ(m.tissue_area_px2(-50, -50, 500, 500, {}), 8 * 100.0);  // clipped to the mask
}

TEST(TissueArea, OnlyInsideTheRegionsWhenThereAreAny) {
    const TissueMask m = left_half();
    Polygon top_left;
    top_left.outer = {{0, 0}, {20, 0}, {20, 20}, {0, 20}};
    Polygon far_away;
    far_away.outer = {{100, 100}, {120, 100}, {120, 120}};
    EXPECT_DOUBLE_EQ(m.tissue_area_px2(0, 0, 40, 40, {top_left}), 4 * 100.0);
    EXPECT_DOUBLE_EQ(m.tissue_area_px2(0, 0, 40, 40, {top_left, far_away}), 4 * 100.0);
    EXPECT_DOUBLE_EQ(m.tissue_area_px2(0, 0, 40, 40, {far_away}), 0.0);
}

}  // namespace
}  // namespace muse::slide
