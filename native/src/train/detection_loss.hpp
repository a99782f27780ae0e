// The supervised detection loss: proposals matched one-to-one to labelled nuclei, then
// L = reg_weight x MSE(matched points) + type_weight x CE(classes; unmatched = background).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "muse/geometry.hpp"

namespace muse::train {

/// (nucleus index, proposal index) pairs of a minimum-cost one-to-one assignment with
/// cost = distance_weight x |point - nucleus| (pixels) - probability of the nucleus' class.
/// `points` [N, 2], `probs` [N, K + 1]. Every nucleus gets a proposal when N >= nuclei.
std::vector<std::pair<int, int>> match_proposals(const at::Tensor& points, const at::Tensor& probs,
                                                 const std::vector<LabelledPoint>& nuclei, double distance_weight);

struct LossWeights {
    double reg = 5e-3;
    double type = 1.0;
    double background = 0.5;       ///< CE weight of the background class
    double match_distance = 0.05;  ///< matching cost per pixel
};

struct DetectionLoss {
    at::Tensor total;   ///< scalar, differentiable
    at::Tensor type;    ///< CE term (before its weight), detached
    at::Tensor reg;     ///< MSE term (before its weight), detached; 0 when nothing matched
    std::int64_t matched = 0;
};

/// The loss of a batch: `points` [B, N, 2] and `logits` [B, N, K + 1] from the heads, and the
/// nuclei of each tile (tile pixels).
DetectionLoss detection_loss(const at::Tensor& points, const at::Tensor& logits,
                             const std::vector<std::vector<LabelledPoint>>& nuclei, const LossWeights& weights);

}  // namespace muse::train
