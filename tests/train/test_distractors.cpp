// Distractors pasted into training tiles: never on or next to a labelled nucleus, the colours
// of what they imitate, reproducible for a seed, and part of the augmentation only when asked.
#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

#include "support/synthetic_nuclei.hpp"
#include "train/augment.hpp"
#include "train/distractors.hpp"

namespace muse::train {
namespace {

constexpr int kSide = 256;
constexpr double kMpp = 0.5;

at::Tensor pink_tile() {  // eosin-pink stroma, no nuclei in the pixels
    at::Tensor t = at::empty({kSide, kSide, 3}, at::kByte);
    t.select(2, 0).fill_(235);
    t.select(2, 1).fill_(190);
    t.select(2, 2).fill_(215);
    return t;
}

std::vector<LabelledPoint> nuclei_grid() {  // 16 nuclei spread over the tile
    std::vector<LabelledPoint> n;
    for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 4; ++j) n.push_back({32.0 + 64 * i, 32.0 + 64 * j, (i + j) % 3});
    }
    return n;
}

TEST(Distractors, NeverTouchALabelledNucleusAndKeepTheirClearance) {
    const auto nuclei = nuclei_grid();
    int pasted = 0, pigment = 0, blood = 0;
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        at::Tensor tile = pink_tile();
        const at::Tensor before = tile.clone();
        std::mt19937_64 rng(seed);
        const auto ds = paste_distractors(tile, nuclei, kMpp, rng);
        for (const auto& d : ds) {
            ++pasted;
            (d.kind == DistractorKind::Pigment ? pigment : blood) += 1;
            for (const auto& p : nuclei) {
                EXPECT_GE(std::hypot(p.x - d.x, p.y - d.y), d.radius + 3.0 / kMpp - 1e-9) << "seed " << seed;
            }
        }
        // Every pixel within 2 um (4 px) of a nucleus is as it was.
        for (const auto& p : nuclei) {
            const at::Tensor around = tile.slice(0, p.y - 4, p.y + 5).slice(1, p.x - 4, p.x + 5);
            const at::Tensor was = before.slice(0, p.y - 4, p.y + 5).slice(1, p.x - 4, p.x + 5);
            EXPECT_TRUE(at::equal(around, was)) << "seed " << seed << ": pixels at nucleus (" << p.x << ", " << p.y << ") changed";
        }
        EXPECT_EQ(ds.empty(), at::equal(tile, before)) << "seed " << seed << ": pixels change exactly when something is pasted";
    }
    EXPECT_GT(pigment, 5);
    EXPECT_GT(blood, 5);
    EXPECT_GE(pasted, 40);
}

TEST(Distractors, LookLikePigmentAndBloodNotLikeNuclei) {
    // On the pink tile without nuclei, each distractor that overlaps no other: its most changed
    // pixel is brown-black (pigment: dark, red above blue) or red (blood: red well above green).
    int checked = 0;
    for (std::uint64_t seed = 1; seed <= 30; ++seed) {
        at::Tensor tile = pink_tile();
        std::mt19937_64 rng(seed);
        const auto ds = paste_distractors(tile, {}, kMpp, rng);
        for (std::size_t i = 0; i < ds.size(); ++i) {
            bool alone = true;
            for (std::size_t j = 0; j < ds.size(); ++j) {
                if (j != i && std::hypot(ds[i].x - ds[j].x, ds[i].y - ds[j].y) < ds[i].radius + ds[j].radius + 4) alone = false;
            }
            const int x0 = std::max(0, static_cast<int>(ds[i].x - ds[i].radius)), x1 = std::min(kSide, static_cast<int>(ds[i].x + ds[i].radius) + 1);
            const int y0 = std::max(0, static_cast<int>(ds[i].y - ds[i].radius)), y1 = std::min(kSide, static_cast<int>(ds[i].y + ds[i].radius) + 1);
            if (!alone || x1 - x0 < 2 || y1 - y0 < 2) continue;
            const at::Tensor patch = tile.slice(0, y0, y1).slice(1, x0, x1).to(at::kFloat).reshape({-1, 3});
            const at::Tensor change = (patch - at::tensor({235.f, 190.f, 215.f})).abs().sum(1);
            const at::Tensor px = patch[change.argmax().item<std::int64_t>()];
            const float r = px[0].item<float>(), g = px[1].item<float>(), b = px[2].item<float>();
            if (ds[i].kind == DistractorKind::Pigment) {
                EXPECT_LT((r + g + b) / 3, 150.f) << "seed " << seed << ": pigment must be dark";
                EXPECT_GT(r, b) << "seed " << seed << ": pigment is brown to black, not haematoxylin blue";
            } else {
                EXPECT_GT(r - g, 60.f) << "seed " << seed << ": blood cells are red";
            }
            ++checked;
        }
    }
    EXPECT_GE(checked, 20);
}

TEST(Distractors, AreReproducibleAndDrawNothingWhenOff) {
    const auto nuclei = nuclei_grid();
    at::Tensor a = pink_tile(), b = pink_tile();
    std::mt19937_64 ra(7), rb(7);
    paste_distractors(a, nuclei, kMpp, ra);
    paste_distractors(b, nuclei, kMpp, rb);
    EXPECT_TRUE(at::equal(a, b));

    // In the augmentation: off (the default) leaves the stream and pixels as before; at 1 every
    // tile gets some, and the nuclei keep their places.
    const LabelledImage img = test::synthetic_nuclei_image(192, 192, 12, 4);
    AugmentOptions o;
    o.tile_px = 128;
    o.colour_jitter = 0.0;
    std::mt19937_64 s1(5), s2(5);
    const TrainingTile plain = make_training_tile(img, o, s1);
    AugmentOptions on = o;
    on.distractor_probability = 1.0;
    const TrainingTile with = make_training_tile(img, on, s2);
    ASSERT_EQ(plain.nuclei.size(), with.nuclei.size());
    for (std::size_t i = 0; i < plain.nuclei.size(); ++i) EXPECT_DOUBLE_EQ(plain.nuclei[i].x, with.nuclei[i].x);
    EXPECT_FALSE(at::equal(plain.rgb, with.rgb)) << "at probability 1 something is pasted";
    std::mt19937_64 s3(5), s4(5);
    make_training_tile(img, o, s3);
    make_training_tile(img, on, s4);
    EXPECT_NE(s3(), s4()) << "switched on, the distractors draw from the stream";
}

}  // namespace
}  // namespace muse::train
