// Model behaviour users rely on: output shapes for every variant and tile size, parameter
// counts of the released architectures, batch and thread independence, determinism.
#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include <ATen/ATen.h>

#include "model/network.hpp"
#include "muse/model.hpp"
#include "muse/runtime.hpp"
#include "muse/stain.hpp"

namespace muse {
namespace {

Model untrained(const std::string& arch, int img_size = 224, std::uint64_t seed = 1) {
    ModelConfig c;
    c.arch = arch;
    c.img_size = img_size;
    return Model::create_untrained(c, seed);
}

TEST(Model, ParameterCountsMatchTheReleasedArchitectures) {
    // Figures from the reference implementation (muse-reference.md, section 1d).
    EXPECT_EQ(untrained("vit_small").parameter_count(), 31070784);
    EXPECT_EQ(untrained("vit_base").parameter_count(), 123409536);
    EXPECT_EQ(untrained("r50").parameter_count(), 86435392);
}

TEST(Model, DenseMapIsAtStrideFourForAnyTileSize) {
    for (const std::string arch : {"vit_small", "r50"}) {
        Model m = untrained(arch);
        for (int side : {64, 224, 256}) {
            ForwardOutput out = m.forward(at::zeros({2, side, side, 3}, at::kByte));
            EXPECT_EQ(out.dense_map.sizes(), (std::vector<std::int64_t>{2, m.feature_dim(), side / 4, side / 4}))
                << arch << " " << side;
            EXPECT_EQ(out.dense_map.scalar_type(), at::kFloat);
            if (arch == "r50") {
                EXPECT_EQ(out.global.sizes(), (std::vector<std::int64_t>{2, 2048, side / 32, side / 32}));
            } else {
                EXPECT_EQ(out.global.sizes(), (std::vector<std::int64_t>{2, 384, 1, 1}));
            }
        }
    }
}

TEST(Model, FeatureDimsOfTheVariants) {
    EXPECT_EQ(untrained("vit_small").feature_dim(), 384);
    EXPECT_EQ(untrained("vit_base").feature_dim(), 768);
    EXPECT_EQ(untrained("r50").feature_dim(), 1024);
}

TEST(Model, LfovModelRunsOnSmallerTilesAndViceVersa) {
    Model lfov = untrained("vit_small", 512);
    EXPECT_EQ(lfov.forward(at::zeros({1, 224, 224, 3}, at::kByte)).dense_map.size(-1), 56);
    Model muse224 = untrained("vit_small", 224);
    EXPECT_EQ(muse224.forward(at::zeros({1, 512, 512, 3}, at::kByte)).dense_map.size(-1), 128);
}

TEST(Model, EachTileOfABatchGetsTheSameResultAsAlone) {
    Model m = untrained("vit_small");
    at::Tensor tiles = at::randint(0, 256, {3, 96, 96, 3}, at::kByte);
    at::Tensor batch = m.forward(tiles).dense_map;
    for (int i = 0; i < 3; ++i) {
        at::Tensor alone = m.forward(tiles.narrow(0, i, 1)).dense_map;
        EXPECT_LT((batch.narrow(0, i, 1) - alone).abs().max().item<float>(), 1e-4f) << "tile " << i;
    }
}

TEST(Model, ConcurrentForwardsOnOneModelAgree) {
    Model m = untrained("vit_small");
    at::Tensor tile = at::randint(0, 256, {1, 64, 64, 3}, at::kByte);
    at::Tensor expected = m.forward(tile).dense_map;
    std::vector<at::Tensor> results(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int rep = 0; rep < 3; ++rep) results[t] = m.forward(tile).dense_map;
        });
    }
    for (auto& th : threads) th.join();
    for (const auto& r : results) EXPECT_TRUE(at::allclose(r, expected, 1e-5, 1e-5));
}

TEST(Model, UntrainedWeightsAreDeterministicInTheSeed) {
    auto a = untrained("vit_small", 224, 4).state_dict();
    auto b = untrained("vit_small", 224, 4).state_dict();
    auto c = untrained("vit_small", 224, 5).state_dict();
    const std::string key = "encoder.encoder.blocks.0.attn.qkv.weight";
    EXPECT_TRUE(at::equal(a.at(key), b.at(key)));
    EXPECT_FALSE(at::equal(a.at(key), c.at(key)));
}

TEST(Model, PointFeaturesAtTileCornersEqualTheDenseMapCorners) {
    // align_corners=True: tile pixel 0 is the first cell's centre, pixel S the last one's.
    Model m = untrained("vit_small");
    RgbImage tile(64, 64);
    for (std::size_t i = 0; i < tile.pixels.size(); ++i) tile.pixels[i] = static_cast<std::uint8_t>(i * 7);
    at::Tensor dense = m.forward(image_to_tensor(tile)).dense_map;
    at::Tensor f = m.point_features(dense, 64, {{0, 0}, {64, 0}, {0, 64}, {32, 32}});
    const std::int64_t last = dense.size(-1) - 1;
    EXPECT_TRUE(at::allclose(f[0], dense[0].select(1, 0).select(1, 0)));
    EXPECT_TRUE(at::allclose(f[1], dense[0].select(1, 0).select(1, last)));
    EXPECT_TRUE(at::allclose(f[2], dense[0].select(1, last).select(1, 0)));
    // Centre of a 16-cell map: halfway between cells 7 and 8 on both axes.
    at::Tensor centre = (dense[0].select(1, 7).select(1, 7) + dense[0].select(1, 7).select(1, 8) +
                         dense[0].select(1, 8).select(1, 7) + dense[0].select(1, 8).select(1, 8)) / 4;
    EXPECT_TRUE(at::allclose(f[3], centre, 1e-5, 1e-5));
}

// The stain correction acts on optical density: the identity changes nothing (bytes from 1 up;
// 0 reads as 1, as in change_stains), and an offset of ln(gain) undoes a scanner's tint.
TEST(Model, StainCorrectionWorksOnOpticalDensity) {
    ModelConfig c;
    c.arch = "r50_w16";
    const at::Tensor rgb = at::randint(1, 256, {1, 32, 32, 3}, at::kByte);
    const at::Tensor plain = model::normalise_rgb(rgb, c);
    c.od_transform = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0};
    EXPECT_TRUE(at::allclose(model::normalise_rgb(rgb, c), plain, 1e-4, 1e-5));

    StainChange tint;
    tint.rgb_gain = {1.0, 0.9, 0.75};
    at::Tensor tinted = rgb.clone();
    change_stains(tinted.data_ptr<std::uint8_t>(), static_cast<std::size_t>(tinted.numel() / 3), tint);
    c.od_transform = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, std::log(0.9f), std::log(0.75f)};
    const at::Tensor undone = model::normalise_rgb(tinted, c);
    c.od_transform.clear();
    // Within the rounding of the tinted bytes (half a byte over the gain, in standardised units).
    EXPECT_LT((undone - plain).abs().max().item<float>(), 0.7f / 255.0f / 0.75f / 0.224f);
    EXPECT_GT((model::normalise_rgb(tinted, c) - plain).abs().max().item<float>(), 0.1f) << "the tint must matter";
}

TEST(Runtime, ThreadCountDefaultsToTheCoresAndCanBeSet) {
    EXPECT_EQ(set_compute_threads(0), default_compute_threads());
    EXPECT_EQ(compute_threads(), default_compute_threads());
    EXPECT_EQ(set_compute_threads(1), 1);
    EXPECT_EQ(compute_threads(), 1);
    set_compute_threads(0);
}

}  // namespace
}  // namespace muse
