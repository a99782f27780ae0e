// Point-based detection heads (P2PNet-style, as the MUSE paper describes them): the dense map is
// sampled at a regular grid of proposal points; H_reg moves each proposal towards its nucleus,
// H_type scores it over K nucleus classes plus background.
#pragma once

#include <array>
#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>

namespace muse::nn {

/// Proposal points of a tile: the centres of its stride x stride cells, row-major, as float32
/// [N, 2] (x, y) tile pixels; N = (tile_px / stride)^2.
at::Tensor proposal_grid(std::int64_t tile_px, std::int64_t stride);

/// Features of `dense` ([B, C, h, w], one cell per `tile_px / w` pixels) at `points` ([B, N, 2]
/// or [N, 2] tile pixels), bilinear, with cell j centred on pixel (j + 0.5) * stride - 0.5.
/// Returns [B, N, C]; differentiable.
///
/// Why not the reference's 2 c / tile_px - 1 (Model::point_features keeps that one, for
/// parity): it maps pixel 0 to the first cell and pixel tile_px to the last, a scale of
/// (w - 1) / tile_px instead of 1 / stride, so the same slide position reads a feature up to
/// 2.5 px away depending on where it sits in the tile and on the tile's size. Detections would
/// then move with the tiling; with this mapping a position reads the same place in every tile.
at::Tensor sample_features(const at::Tensor& dense, const at::Tensor& points, std::int64_t tile_px);

/// The proposal grid of a tile of side `tile_px` (proposal_grid) and the features of `dense` there
/// (sample_features, [B, N, C]): what both heads read.
struct GridFeatures {
    at::Tensor proposals;  ///< [N, 2] tile px, on dense's device
    at::Tensor features;   ///< [B, N, C]
};
GridFeatures grid_features(const at::Tensor& dense, std::int64_t tile_px, std::int64_t stride);

/// The names, in a model's weights, of H_type's last layer: one output row per class, then
/// background. Fine-tuning grows it for new classes; bench/model_without_class drops a row.
/// (The MLP is Linear, ReLU, Linear, ReLU, Linear, so the last Linear is module 4.)
inline constexpr std::array<const char*, 2> kTypeHeadOutputTensors = {"head.type.4.weight", "head.type.4.bias"};

struct DetectionHeadImpl : torch::nn::Module {
    /// `classes` nucleus classes (the background score comes on top), `hidden` MLP width.
    DetectionHeadImpl(std::int64_t feature_dim, std::int64_t classes, std::int64_t hidden);

    struct Output {
        at::Tensor proposals;  ///< [N, 2] tile px
        at::Tensor points;     ///< [B, N, 2] tile px: proposal + predicted offset
        at::Tensor logits;     ///< [B, N, K + 1]; index K is background
    };
    /// Runs both heads at the proposal grid of stride `stride` on tiles of side `tile_px`.
    Output forward(const at::Tensor& dense, std::int64_t tile_px, std::int64_t stride);

    /// Both heads on features already sampled at `proposals` ([B, N, C] and [N, 2]), e.g.
    /// features cached once while the backbone is frozen.
    Output forward_features(const at::Tensor& features, const at::Tensor& proposals, std::int64_t stride);

    /// H_type on features [..., C]: logits [..., K + 1] (classification at given points).
    at::Tensor classify(const at::Tensor& features);

    std::int64_t classes;
    torch::nn::Sequential reg{nullptr}, type{nullptr};
};
TORCH_MODULE(DetectionHead);

}  // namespace muse::nn
