// Proposal grid, feature sampling at points, and the two head MLPs.
#include "nn/heads.hpp"

#include <tuple>
#include <vector>

#include <ATen/ATen.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/linear.h>

namespace muse::nn {
namespace {

torch::nn::Sequential mlp(std::int64_t in, std::int64_t hidden, std::int64_t out) {
    return torch::nn::Sequential(torch::nn::Linear(in, hidden), torch::nn::ReLU(), torch::nn::Linear(hidden, hidden),
                                 torch::nn::ReLU(), torch::nn::Linear(hidden, out));
}

/// `mlp` on features [..., C] as one matrix of rows, the result [..., out]. LibTorch's Linear
/// fuses its bias into the product (addmm) only for two-dimensional inputs; for more it adds
/// the bias in a pass of its own, and under bfloat16 autocast that pass converted the whole
/// product to float32 and back: 4 ms per 16,384 proposals, two thirds of a heads-mode epoch.
at::Tensor apply_to_rows(torch::nn::Sequential& mlp, const at::Tensor& features) {
    std::vector<std::int64_t> shape = features.sizes().vec();
    const at::Tensor out = mlp->forward(features.reshape({-1, features.size(-1)}));
    shape.back() = out.size(-1);
    return out.view(shape);
}

}  // namespace

at::Tensor proposal_grid(std::int64_t tile_px, std::int64_t stride) {
    const std::int64_t n = tile_px / stride;
    at::Tensor centres = (at::arange(n, at::kFloat) + 0.5f) * static_cast<float>(stride);
    std::vector<at::Tensor> yx = at::meshgrid({centres, centres}, "ij");
    return at::stack({yx[1].reshape({-1}), yx[0].reshape({-1})}, 1);  // (x, y), row-major
}

at::Tensor sample_features(const at::Tensor& dense, const at::Tensor& points, std::int64_t tile_px) {
    const std::int64_t b = dense.size(0), c = dense.size(1), h = dense.size(2), w = dense.size(3);
    const at::Tensor p = (points.dim() == 2 ? points.unsqueeze(0).expand({b, -1, -1}) : points).to(at::kFloat);
    const std::int64_t n = p.size(1);
    // Cell index f = (c + 0.5) / stride - 0.5: the four cells around it and their bilinear
    // weights, a cell outside the map weighing nothing (zero padding).
    const double stride = static_cast<double>(tile_px) / static_cast<double>(w);
    const at::Tensor cells = (p + 0.5) / stride - 0.5;  // [B, N, 2] (x, y)
    const at::Tensor first = cells.floor();
    const at::Tensor frac = cells - first;
    const at::Tensor x0 = first.select(2, 0).to(at::kLong), y0 = first.select(2, 1).to(at::kLong);
    const at::Tensor fx = frac.select(2, 0), fy = frac.select(2, 1);
    const at::Tensor image_row = at::arange(b, at::kLong).mul_(h * w).unsqueeze(1);  // [B, 1]
    std::vector<at::Tensor> index, weight;
    for (const std::int64_t dy : {0, 1}) {
        for (const std::int64_t dx : {0, 1}) {
            const at::Tensor x = x0 + dx, y = y0 + dy;
            const at::Tensor inside = x.ge(0).logical_and_(x.lt(w)).logical_and_(y.ge(0)).logical_and_(y.lt(h));
            weight.push_back((dx ? fx : 1.0 - fx) * (dy ? fy : 1.0 - fy) * inside);
            index.push_back(image_row + y.clamp(0, h - 1) * w + x.clamp(0, w - 1));
        }
    }
    // The weighted sum of the four cells' feature rows (channels contiguous) as one embedding
    // bag per point, instead of LibTorch's grid sampler: the sampler's backward took 16-20 ms
    // per 288 px sample on 2 cores, the bag's a fraction of that, and no [B, N, 4, C] copy is
    // made. Same result up to float rounding.
    const bool exact = dense.scalar_type() == at::kFloat || dense.scalar_type() == at::kDouble;
    const at::Tensor rows = dense.permute({0, 2, 3, 1}).reshape({b * h * w, c}).to(exact ? dense.scalar_type() : at::kFloat);
    const at::Tensor bags = at::stack(index, 2).reshape({-1});
    const at::Tensor bag_weights = at::stack(weight, 2).reshape({-1}).to(rows.scalar_type());
    const at::Tensor offsets = at::arange(0, bags.numel(), 4, at::kLong);
    const at::Tensor summed = std::get<0>(at::embedding_bag(rows, bags, offsets, false, /*sum*/ 0, false, bag_weights));
    return summed.view({b, n, c}).to(dense.scalar_type());
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
    out.points = proposals.unsqueeze(0) + apply_to_rows(reg, features) * static_cast<double>(stride);
    out.logits = apply_to_rows(type, features);
    return out;
}

at::Tensor DetectionHeadImpl::classify(const at::Tensor& features) { return apply_to_rows(type, features); }

}  // namespace muse::nn
