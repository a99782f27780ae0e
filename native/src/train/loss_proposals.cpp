// Picks the proposals the fine-tuning loss reaches and runs the heads on them alone.
#include "train/loss_proposals.hpp"

#include <optional>

#include <ATen/ATen.h>

#include "model/bf16_autocast.hpp"
#include "muse/errors.hpp"

namespace muse::train {

PseudoLabels pseudo_labels(const at::Tensor& probs, const at::Tensor& region, double threshold) {
    const std::int64_t k = probs.size(-1) - 1;
    const auto [best_prob, best_class] = probs.narrow(-1, 0, k).max(-1);
    return {at::logical_and(region.logical_not(), best_prob >= threshold), best_class};
}

ProposalsInLoss heads_where_the_loss_reaches(nn::DetectionHeadImpl& head, const at::Tensor& features,
                                             const at::Tensor& proposals, const at::Tensor& in_region,
                                             const LossWeights& weights, std::int64_t stride, Precision precision) {
    if (features.dim() != 3 || features.size(0) != 1 || in_region.numel() != features.size(1) ||
        proposals.size(0) != features.size(1)) {
        throw InvalidArgument("heads_where_the_loss_reaches: one sample's features [1, N, C], proposals [N, 2] and region [1, N] expected");
    }
    const at::Tensor region = in_region.to(at::kBool).reshape({1, -1});
    std::optional<model::Bf16Autocast> autocast;
    if (resolve_precision(precision) == Precision::Bf16) autocast.emplace();
    at::Tensor keep;
    {
        at::NoGradGuard no_grad;
        const at::Tensor probs = head.classify(features).to(at::kFloat).softmax(-1);
        keep = at::logical_or(region, pseudo_labels(probs, region, weights.cons_threshold).mask)[0].nonzero().reshape({-1});
    }
    ProposalsInLoss r;
    r.out = head.forward_features(features.index_select(1, keep), proposals.index_select(0, keep), stride);
    autocast.reset();
    r.out.points = r.out.points.to(at::kFloat);
    r.out.logits = r.out.logits.to(at::kFloat);
    r.in_region = region.index_select(1, keep);
    return r;
}

DetectionLoss loss_where_it_reaches(nn::DetectionHeadImpl& head, const at::Tensor& features, const at::Tensor& proposals,
                                    const at::Tensor& in_region, const std::vector<LabelledPoint>& nuclei,
                                    const LossWeights& weights, std::int64_t stride, Precision precision) {
    const ProposalsInLoss p = heads_where_the_loss_reaches(head, features, proposals, in_region, weights, stride, precision);
    return detection_loss(p.out.points, p.out.logits, {nuclei}, weights, p.in_region);
}

}  // namespace muse::train
