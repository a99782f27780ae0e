// Distractors pasted into training tiles: never on or next to a labelled nucleus, the colours
// of what they imitate, reproducible for a seed, and part of the augmentation only when asked.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <ATen/ATen.h>

#include "support/synthetic_nuclei.hpp"
#include "train/augment.hpp"
#include "train/distractors.hpp"

namespace muse::train {
namespace {

constexpr int kSide = 256;
constexpr double kMpp = 0.5;
constexpr std::uint64_t kStreamAfterADefaultTile = 6485422884355057565ULL;  // seed 9, AugmentOptions(), see below

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

TEST(Distractors, ChangeOnlyPixelsNearThemselvesAndFarFromEveryNucleus) {
    // Every changed pixel must lie within its distractor's reach (radius plus the soft edge) and
    // at least 8 um (the clearance) less that edge from every labelled nucleus' point.
    const auto nuclei = nuclei_grid();
    const double edge = 4 * 0.25 / kMpp + 2;  // 4 sigma of the widest softening, plus rounding
    const double clearance = 8.0 / kMpp;
    int pasted = 0, pigment = 0, blood = 0, changed_pixels = 0;
    for (std::uint64_t seed = 1; seed <= 60; ++seed) {
        at::Tensor tile = pink_tile();
        const at::Tensor before = tile.clone();
        std::mt19937_64 rng(seed);
        const auto ds = paste_distractors(tile, nuclei, kMpp, rng);
        for (const auto& d : ds) {
            ++pasted;
            (d.kind == DistractorKind::Pigment ? pigment : blood) += 1;
        }
        const at::Tensor changed = (tile != before).any(2);
        const auto* c = changed.data_ptr<bool>();
        for (int y = 0; y < kSide; ++y) {
            for (int x = 0; x < kSide; ++x) {
                if (!c[y * kSide + x]) continue;
                ++changed_pixels;
                const bool near_one = std::any_of(ds.begin(), ds.end(), [&](const PastedDistractor& d) {
                    return std::hypot(x - d.x, y - d.y) <= d.radius + edge;
                });
                ASSERT_TRUE(near_one) << "seed " << seed << ": pixel (" << x << ", " << y << ") changed far from every distractor";
                for (const auto& p : nuclei) {
                    ASSERT_GE(std::hypot(x - p.x, y - p.y), clearance - edge)
                        << "seed " << seed << ": pixel (" << x << ", " << y << ") changed next to nucleus (" << p.x << ", " << p.y << ")";
                }
            }
        }
        EXPECT_EQ(ds.empty(), at::equal(tile, before)) << "seed " << seed << ": pixels change exactly when something is pasted";
    }
    EXPECT_GT(pigment, 5);
    EXPECT_GT(blood, 5);
    EXPECT_GE(pasted, 40);
    EXPECT_GT(changed_pixels, 1000);
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
    // Switched off they draw nothing: the stream after a default tile is the one it was before
    // the option existed (the value libstdc++'s distributions give), so a seed trains the same
    // model as in earlier versions.
    std::mt19937_64 s5(9);
    make_training_tile(test::synthetic_nuclei_image(160, 160, 30, 2), AugmentOptions(), s5);
    EXPECT_EQ(s5(), kStreamAfterADefaultTile);
}

}  // namespace
}  // namespace muse::train
