// The detection loss: proposals matched one-to-one to labelled nuclei, then
// L = reg_weight x MSE(matched points) + type_weight x CE(classes; unmatched = background),
// and for fine-tuning on partly annotated samples (the MUSE paper's LFoV loss) both terms only
// inside the annotated region, plus cons_weight x CE towards confident pseudo-labels outside it.
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
    std::vector<double> classes;   ///< CE weight of each nucleus class (empty = 1 for all)
    double match_distance = 0.05;  ///< matching cost per pixel
    double cons = 0.0;             ///< lambda_cons: weight of L_cons (outside the annotated region)
    double cons_threshold = 0.9;   ///< a proposal outside is a pseudo-label when its best nucleus probability >= this
};

struct DetectionLoss {
    at::Tensor total;   ///< scalar, differentiable
    at::Tensor type;    ///< CE term (before its weight), detached
    at::Tensor reg;     ///< MSE term (before its weight), detached; 0 when nothing matched
    at::Tensor cons;    ///< consistency term (before its weight), detached; 0 without pseudo-labels
    std::int64_t matched = 0;
    std::int64_t pseudo_labels = 0;  ///< proposals outside the region that met cons_threshold
};

/// The loss of a batch: `points` [B, N, 2] and `logits` [B, N, K + 1] from the heads, and the
/// nuclei of each tile (tile pixels). `in_region` (bool [B, N], optional): which proposals lie
/// in the annotated region. When given, matching, L_type and L_reg use only those (the nuclei
/// must be the region's); the others take part only in L_cons, as cross-entropy towards their
/// own detached best nucleus class when its probability reaches `cons_threshold` (no
/// coordinate term outside the region). Without it every proposal is annotated.
DetectionLoss detection_loss(const at::Tensor& points, const at::Tensor& logits,
                             const std::vector<std::vector<LabelledPoint>>& nuclei, const LossWeights& weights,
                             const at::Tensor& in_region = {});

}  // namespace muse::train
