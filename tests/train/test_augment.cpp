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

TEST(Augment, StainBlurAndJpegNoiseChangePixelsNotNucleiAndNeverTheSource) {
    const LabelledImage img = test::synthetic_nuclei_image(128, 128, 20, 5);
    AugmentOptions plain;
    plain.tile_px = 96;
    plain.colour_jitter = 0.0;
    plain.scale_jitter = 0.0;
    AugmentOptions noisy = plain;
    noisy.stain_jitter = 0.4;
    noisy.blur_probability = 1.0;
    noisy.jpeg_probability = 1.0;
    std::mt19937_64 a(3), b(3);
    const TrainingTile clean = make_training_tile(img, plain, a);
    const TrainingTile changed = make_training_tile(img, noisy, b);
    ASSERT_EQ(clean.nuclei.size(), changed.nuclei.size()) << "same window and turns for the same seed";
    for (std::size_t i = 0; i < clean.nuclei.size(); ++i) {
        EXPECT_DOUBLE_EQ(clean.nuclei[i].x, changed.nuclei[i].x);
        EXPECT_DOUBLE_EQ(clean.nuclei[i].y, changed.nuclei[i].y);
    }
    const double diff = (clean.rgb.to(at::kFloat) - changed.rgb.to(at::kFloat)).abs().mean().item<double>();
    EXPECT_GT(diff, 2.0) << "stain, blur and JPEG must change the pixels";
    // augment_tile works on a tile that still shares the caller's pixels: they must not change.
    at::Tensor source = clean.rgb.clone();
    at::Tensor tile = source;
    std::vector<LabelledPoint> nuclei = clean.nuclei;
    AugmentOptions only_noise = noisy;
    only_noise.flips = only_noise.rotations = false;
    std::mt19937_64 c(1);
    augment_tile(tile, nuclei, nullptr, only_noise, c);
    EXPECT_TRUE(at::equal(source, clean.rgb)) << "the caller's image was changed in place";
    EXPECT_FALSE(at::equal(tile, clean.rgb));
}

TEST(Augment, WithTheNewNoisesOffTheRandomStreamIsUnchanged) {
    // A model trained from a seed before these options existed is trained the same way now:
    // switched off, they draw no random numbers.
    const LabelledImage img = test::synthetic_nuclei_image(160, 160, 30, 2);
    AugmentOptions o;
    o.tile_px = 64;
    std::mt19937_64 a(9), b(9);
    make_training_tile(img, o, a);
    make_training_tile(img, o, b);
    EXPECT_EQ(a(), b());
    AugmentOptions on = o;
    on.stain_jitter = 0.2;
    std::mt19937_64 c(9);
    make_training_tile(img, on, c);
    std::mt19937_64 d(9);
    make_training_tile(img, o, d);
    EXPECT_NE(c(), d()) << "switched on, the stain draws are part of the stream";
}

}  // namespace
}  // namespace muse::train
