// Training tiles: nuclei move with the pixels under flips and quarter turns; windows,
// resampling and white padding; determinism for a seed.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "support/synthetic_nuclei.hpp"
#include "train/augment.hpp"

namespace muse::train {
namespace {

/// A tile with one bright pixel at (x, y) and the matching nucleus.
at::Tensor marked_tile(int side, int x, int y) {
    at::Tensor t = at::zeros({side, side, 3}, at::kByte);
    t[y][x][0] = 255;
    return t;
}

void expect_mark_at_nucleus(const at::Tensor& t, const LabelledPoint& p, const std::string& what) {
    const int x = static_cast<int>(std::lround(p.x)), y = static_cast<int>(std::lround(p.y));
    ASSERT_GE(x, 0);
    ASSERT_GE(y, 0);
    ASSERT_LT(x, t.size(1));
    ASSERT_LT(y, t.size(0));
    EXPECT_EQ(t[y][x][0].item<int>(), 255) << what << ": the nucleus went to (" << x << ", " << y << ")";
}

TEST(Augment, NucleiFollowTheirPixelsUnderTurnsAndFlips) {
    for (int turns = 0; turns < 4; ++turns) {
        std::vector<LabelledPoint> nuclei = {{5, 2, 1}};
        at::Tensor t = rotate_tile(marked_tile(8, 5, 2), turns, nuclei);
        expect_mark_at_nucleus(t, nuclei[0], std::to_string(turns) + " quarter turns");
        EXPECT_EQ(nuclei[0].class_index, 1);
    }
    for (bool horizontal : {true, false}) {
        std::vector<LabelledPoint> nuclei = {{5, 2, 0}};
        at::Tensor t = flip_tile(marked_tile(8, 5, 2), horizontal, nuclei);
        expect_mark_at_nucleus(t, nuclei[0], horizontal ? "left-right flip" : "top-bottom flip");
    }
}

TEST(Augment, TilesKeepTheirNucleiAndAreReproducible) {
    const LabelledImage img = test::synthetic_nuclei_image(200, 160, 40, 3);
    AugmentOptions o;
    o.tile_px = 96;
    o.colour_jitter = 0.0;  // so nucleus pixels keep their colour for the check below
    std::mt19937_64 a(7), b(7);
    for (int i = 0; i < 20; ++i) {
        const TrainingTile t = make_training_tile(img, o, a);
        const TrainingTile u = make_training_tile(img, o, b);
        ASSERT_TRUE(at::equal(t.rgb, u.rgb)) << "same seed, same tile";
        ASSERT_EQ(t.nuclei.size(), u.nuclei.size());
        EXPECT_EQ(t.rgb.sizes(), (at::IntArrayRef{96, 96, 3}));
        for (const auto& p : t.nuclei) {
            EXPECT_GE(p.x, 0);
            EXPECT_LE(p.x, 95);
            // Synthetic nuclei are blue or purple on pink: at a nucleus' centre blue beats green.
            const int x = static_cast<int>(std::lround(p.x)), y = static_cast<int>(std::lround(p.y));
            const int green = t.rgb[y][x][1].item<int>(), blue = t.rgb[y][x][2].item<int>();
            EXPECT_GT(blue - green, 40) << "tile " << i << " nucleus at (" << p.x << ", " << p.y << ")";
        }
    }
}

TEST(Augment, SmallImagesArePaddedWithWhiteAndScaledToTheModelsResolution) {
    LabelledImage img = test::synthetic_nuclei_image(40, 40, 3, 4, /*mpp=*/0.25);
    AugmentOptions o;
    o.tile_px = 64;
    o.model_mpp = 0.5;  // the image is twice as fine: 40 px become 20 model px
    o.scale_jitter = 0.0;
    o.colour_jitter = 0.0;
    o.flips = o.rotations = false;
    std::mt19937_64 rng(1);
    const TrainingTile t = make_training_tile(img, o, rng);
    // At least 64 - 20 = 44 of the 64 columns are padding, white after resampling.
    const double white = t.rgb.select(2, 0).ge(250).to(at::kFloat).mean().item<double>();
    EXPECT_GT(white, 0.6);
    EXPECT_EQ(t.nuclei.size(), img.nuclei.size());
}

}  // namespace
}  // namespace muse::train
