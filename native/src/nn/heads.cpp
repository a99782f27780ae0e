// Proposal grid, feature sampling at points, and the two head MLPs.
#include "nn/heads.hpp"

#include <ATen/ATen.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/linear.h>

namespace muse::nn {
namespace {

torch::nn::Sequential mlp(std::int64_t in, std::int64_t hidden, std::int64_t out) {
    return torch::nn::Sequential(torch::nn::Linear(in, hidden), torch::nn::ReLU(), torch::nn::Linear(hidden, hidden),
                                 torch::nn::ReLU(), torch::nn::Linear(hidden, out));
}

}  // namespace

at::Tensor proposal_grid(std::int64_t tile_px, std::int64_t stride) {
    const std::int64_t n = tile_px / stride;
    at::Tensor centres = (at::arange(n, at::kFloat) + 0.5f) * static_cast<float>(stride);
    std::vector<at::Tensor> yx = at::meshgrid({centres, centres}, "ij");
    return at::stack({yx[1].reshape({-1}), yx[0].reshape({-1})}, 1);  // (x, y), row-major
}

at::Tensor sample_features(const at::Tensor& dense, const at::Tensor& points, std::int64_t tile_px) {
    at::Tensor p = points.dim() == 2 ? points.unsqueeze(0).expand({dense.size(0), -1, -1}) : points;
    // Cell index f = (c + 0.5) / stride - 0.5; align_corners=True puts index f at 2 f / (w - 1) - 1.
    const double w = static_cast<double>(dense.size(-1));
    const double stride = static_cast<double>(tile_px) / w;
    at::Tensor cells = (p + 0.5) / stride - 0.5;
    at::Tensor grid = (cells * (2.0 / (w - 1.0)) - 1.0).unsqueeze(1);  // [B, 1, N, 2]
    // bilinear (0), zero padding (0), align_corners=True
    at::Tensor sampled = at::grid_sampler(dense, grid.to(dense.scalar_type()), 0, 0, true);  // [B, C, 1, N]
    return sampled.squeeze(2).transpose(1, 2);
}

GridFeatures grid_features(const at::Tensor& dense, std::int64_t tile_px, std::int64_t stride) {
    GridFeatures g;
    g.proposals = proposal_grid(tile_px, stride).to(dense.device());
    g.features = sample_features(dense, g.proposals, tile_px);
    return g;
}

DetectionHeadImpl::DetectionHeadImpl(std::int64_t feature_dim, std::int64_t num_classes, std::int64_t hidden)
    : classes(num_classes) {
    reg = register_module("reg", mlp(feature_dim, hidden, 2));
    type = register_module("type", mlp(feature_dim, hidden, num_classes + 1));
    // Start with every point on its proposal: the offsets are learnt from there.
    at::NoGradGuard no_grad;
    auto last = reg->ptr(4)->as<torch::nn::Linear>();
    last->weight.zero_();
    last->bias.zero_();
}

DetectionHeadImpl::Output DetectionHeadImpl::forward(const at::Tensor& dense, std::int64_t tile_px, std::int64_t stride) {
    const GridFeatures g = grid_features(dense, tile_px, stride);
    return forward_features(g.features, g.proposals, stride);
}

DetectionHeadImpl::Output DetectionHeadImpl::forward_features(const at::Tensor& features, const at::Tensor& proposals,
                                                              std::int64_t stride) {
    Output out;
    out.proposals = proposals;
    out.points = proposals.unsqueeze(0) + reg->forward(features) * static_cast<double>(stride);
    out.logits = type->forward(features);
    return out;
}

at::Tensor DetectionHeadImpl::classify(const at::Tensor& features) { return type->forward(features); }

}  // namespace muse::nn
