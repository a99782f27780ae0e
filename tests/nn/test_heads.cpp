// The heads' feature sampling: the same bilinear values and gradients as LibTorch's grid sampler.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "nn/heads.hpp"

namespace muse::nn {
namespace {

/// sample_features's definition written with LibTorch's grid sampler (bilinear, zero padding,
/// align_corners): cell j of a w-wide map is centred on tile pixel (j + 0.5) * tile_px / w - 0.5.
at::Tensor sampled_by_grid_sampler(const at::Tensor& dense, const at::Tensor& points, std::int64_t tile_px) {
    const at::Tensor p = points.dim() == 2 ? points.unsqueeze(0).expand({dense.size(0), -1, -1}) : points;
    const double w = static_cast<double>(dense.size(-1));
    const at::Tensor cells = (p + 0.5) / (static_cast<double>(tile_px) / w) - 0.5;
    const at::Tensor grid = (cells * (2.0 / (w - 1.0)) - 1.0).unsqueeze(1);
    return at::grid_sampler(dense, grid, 0, 0, true).squeeze(2).transpose(1, 2);
}

TEST(SampleFeatures, MatchesBilinearGridSamplingWithZeroPaddingAndItsGradient) {
    at::manual_seed(11);
    const std::int64_t tile_px = 128, c = 24;
    // Points inside, on the borders, between the border cells and the tile's edge, and outside.
    at::Tensor points = at::cat({at::rand({300, 2}) * tile_px,
                                 at::tensor({0.0f, 0.0f, 127.9f, 127.9f, 128.0f, 0.0f, 1.0f, 126.5f, -3.0f, 40.0f, 60.0f, 140.0f},
                                            at::kFloat)
                                     .view({6, 2})});
    for (const bool per_image : {false, true}) {
        for (const bool channels_last : {false, true}) {
            SCOPED_TRACE(std::string(per_image ? "points per image" : "shared points") +
                         (channels_last ? ", channels-last map" : ", contiguous map"));
            at::Tensor map = at::randn({2, c, 32, 32});
            if (channels_last) map = map.contiguous(at::MemoryFormat::ChannelsLast);
            const at::Tensor pts = per_image ? at::stack({points, points.flip(0)}) : points;
            const at::Tensor dense = map.clone().requires_grad_();
            const at::Tensor reference_dense = map.clone().requires_grad_();
            const at::Tensor mine = sample_features(dense, pts, tile_px);
            const at::Tensor reference = sampled_by_grid_sampler(reference_dense, pts, tile_px);
            ASSERT_EQ(mine.sizes(), reference.sizes());
            EXPECT_TRUE(at::allclose(mine, reference, 1e-5, 1e-5)) << (mine - reference).abs().max().item<float>();
            const at::Tensor upstream = at::randn_like(reference);
            (mine * upstream).sum().backward();
            (reference * upstream).sum().backward();
            EXPECT_TRUE(at::allclose(dense.grad(), reference_dense.grad(), 1e-4, 1e-5))
                << (dense.grad() - reference_dense.grad()).abs().max().item<float>();
            EXPECT_GT(reference_dense.grad().abs().sum().item<float>(), 0.0f);
        }
    }
    // A point outside the map's reach reads zero, as with zero padding.
    const at::Tensor far = sample_features(at::randn({1, c, 32, 32}), at::tensor({-20.0f, -20.0f}, at::kFloat).view({1, 2}), tile_px);
    EXPECT_EQ(far.abs().max().item<float>(), 0.0f);
}

}  // namespace
}  // namespace muse::nn
