// Tile geometry: pyramid level choice, cores that tile the region, exact resampling, edges.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <set>

#include "detect/tile_plan.hpp"
#include "muse/errors.hpp"
#include "support/fake_slides.hpp"

namespace muse::detect {
namespace {

TilePlanOptions options(double model_mpp, double slide_mpp, int tile, int margin) {
    TilePlanOptions o;
    o.model_mpp = model_mpp;
    o.slide_mpp = slide_mpp;
    o.tile_px = tile;
    o.margin_px = margin;
    o.stride_px = 8;
    return o;
}

TEST(TilePlan, PicksTheCoarsestLevelThatIsFineEnough) {
    auto slide = test::gradient_pyramid(4096, 4096, 4, 0.25);  // downsamples 1, 2, 4, 8
    EXPECT_EQ(plan_tiles(*slide, options(0.5, 0.25, 256, 16), nullptr).level, 1);    // 20x from 40x: level 1, r = 1
    EXPECT_EQ(plan_tiles(*slide, options(0.25, 0.25, 256, 16), nullptr).level, 0);
    EXPECT_EQ(plan_tiles(*slide, options(0.8, 0.25, 256, 16), nullptr).level, 1);    // s = 3.2: level 1, r = 1.6
    EXPECT_EQ(plan_tiles(*slide, options(2.0, 0.25, 256, 16), nullptr).level, 3);
    EXPECT_DOUBLE_EQ(plan_tiles(*slide, options(0.8, 0.25, 256, 16), nullptr).r, 1.6);
    EXPECT_EQ(plan_tiles(*slide, options(0.1, 0.25, 256, 16), nullptr).level, 0) << "finer than the slide: level 0";
    // Within 1 % of an integer factor: read as that factor, the scale snapped with it.
    const TilePlan near = plan_tiles(*slide, options(0.5, 0.2495, 256, 16), nullptr);
    EXPECT_EQ(near.level, 1);
    EXPECT_DOUBLE_EQ(near.r, 1.0);
    EXPECT_DOUBLE_EQ(near.s, 2.0);
    EXPECT_DOUBLE_EQ(near.to_level0(near.to_model(1234.5)), 1234.5);
    const TilePlan far = plan_tiles(*slide, options(0.5, 0.245, 256, 16), nullptr);
    EXPECT_NEAR(far.r, 0.5 / 0.245 / 2.0, 1e-12) << "2 % off: resampled";
}

TEST(TilePlan, CoresCoverTheRegionExactlyOnce) {
    auto slide = test::gradient_pyramid(1000, 700, 1, 0.5);
    const TilePlan p = plan_tiles(*slide, options(0.5, 0.5, 128, 16), nullptr);
    EXPECT_EQ(p.core_px, 96);
    EXPECT_EQ(p.cols, 11);  // ceil(1000 / 96)
    EXPECT_EQ(p.rows, 8);   // ceil(700 / 96)
    ASSERT_EQ(p.tiles.size(), 88u);
    // Every model pixel of the slide lies in exactly one core.
    std::vector<int> hits(1000 * 700, 0);
    for (const auto& t : p.tiles) {
        for (std::int64_t v = p.core_v0(t); v < p.core_v0(t) + p.core_px; ++v) {
            for (std::int64_t u = p.core_u0(t); u < p.core_u0(t) + p.core_px; ++u) {
                if (u < 1000 && v < 700) ++hits[v * 1000 + u];
            }
        }
    }
    EXPECT_EQ(std::set<int>(hits.begin(), hits.end()), std::set<int>{1});
    // Cores and margins are multiples of the stride: every tile's proposal grid is the same one.
    for (const auto& t : p.tiles) EXPECT_EQ(((t.u0 % 8) + 8) % 8, ((p.tiles[0].u0 % 8) + 8) % 8);
}

TEST(TilePlan, KeepDecidesFromTheLevel0CoreRectangle) {
    auto slide = test::gradient_pyramid(1000, 1000, 1, 0.25);
    std::vector<std::array<double, 4>> seen;
    const TilePlan p = plan_tiles(*slide, options(0.5, 0.25, 128, 16), [&](double x0, double y0, double x1, double y1) {
        seen.push_back({x0, y0, x1, y1});
        return x0 < 300;
    });
    ASSERT_FALSE(seen.empty());
    EXPECT_DOUBLE_EQ(seen[0][0], -0.5);                 // the first core starts at level-0 pixel 0's edge
    EXPECT_DOUBLE_EQ(seen[0][2] - seen[0][0], 96 * 2);  // 96 model px = 192 level-0 px
    for (const auto& t : p.tiles) EXPECT_LT(p.to_level0(static_cast<double>(p.core_u0(t)) - 0.5), 300);
}

TEST(TileRead, IntegerFactorsAreExactBlockAverages) {
    auto slide = test::gradient_pyramid(2048, 2048, 1, 0.25);  // only level 0: the plan must average 2x2 blocks
    const TilePlan p = plan_tiles(*slide, options(0.5, 0.25, 64, 8), nullptr);
    ASSERT_EQ(p.level, 0);
    ASSERT_DOUBLE_EQ(p.r, 2.0);
    const PlannedTile& t = p.tiles[5];
    const RgbImage img = read_tile(*slide, p, t);
    for (int v = 0; v < 64; v += 7) {
        for (int u = 0; u < 64; u += 5) {
            const std::int64_t mu = t.u0 + u, mv = t.v0 + v;
            if (mu < 0 || mv < 0) continue;
            // Model pixel mu covers level-0 pixels 2 mu and 2 mu + 1: mean (2 mu mod 256) + 0.5.
            const double want = static_cast<double>((2 * mu) % 256) + 0.5;
            EXPECT_NEAR(img.at(u, v)[0], want, 0.51) << "u " << u << " v " << v;
            EXPECT_NEAR(img.at(u, v)[1], static_cast<double>((2 * mv) % 256) + 0.5, 0.51);
        }
    }
}

TEST(TileRead, OtherFactorsFollowTheCoordinateMapping) {
    // r = 1.6 at level 1: model pixel u sits at level-0 x = (u + 0.5) * 3.2 - 0.5. The gradient is
    // linear inside each 256-wide period, so away from the wrap the interpolated value is x mod 256.
    auto slide = test::gradient_pyramid(4096, 4096, 2, 0.25);
    const TilePlan p = plan_tiles(*slide, options(0.8, 0.25, 64, 8), nullptr);
    ASSERT_EQ(p.level, 1);
    const PlannedTile& t = p.tiles[p.cols + 1];
    const RgbImage img = read_tile(*slide, p, t);
    int checked = 0;
    for (int u = 4; u < 60; ++u) {
        const double x = p.to_level0(static_cast<double>(t.u0 + u));
        const double phase = std::fmod(x, 256.0);
        if (phase < 12 || phase > 244) continue;  // near the saw-tooth's jump
        EXPECT_NEAR(img.at(u, 30)[0], phase, 1.6) << "u " << u << " x " << x;
        ++checked;
    }
    EXPECT_GT(checked, 30);
}

TEST(TileRead, BeyondTheSlideIsWhite) {
    auto slide = test::gradient_pyramid(300, 300, 1, 0.5);
    const TilePlan p = plan_tiles(*slide, options(0.5, 0.5, 128, 16), nullptr);
    const RgbImage first = read_tile(*slide, p, p.tiles.front());  // its margin lies left of / above the slide
    EXPECT_EQ(first.at(0, 0)[2], 255);
    EXPECT_EQ(first.at(20, 20)[2], 128);
    const RgbImage last = read_tile(*slide, p, p.tiles.back());
    EXPECT_EQ(last.at(127, 127)[2], 255);
}

TEST(TilePlanBadInput, MarginsThatLeaveNoCoreAreRefused) {
    auto slide = test::gradient_pyramid(300, 300, 1, 0.5);
    EXPECT_THROW(plan_tiles(*slide, options(0.5, 0.5, 128, 64), nullptr), InvalidArgument);
    EXPECT_THROW(plan_tiles(*slide, options(0.5, 0.5, 128, 12), nullptr), InvalidArgument);  // not a stride multiple
    EXPECT_THROW(plan_tiles(*slide, options(0.5, 0.0, 128, 16), nullptr), InvalidArgument);
}

}  // namespace
}  // namespace muse::detect
