// Running the heads only where the fine-tuning loss reaches.
//
// On a partly annotated LFoV sample (1024 px, a proposal every 8 px: 16,384 proposals) the loss
// touches the proposals inside the annotated region (L_type, L_reg) and the confident ones
// outside it (L_cons, pseudo-labels): a few per cent. The others get no gradient, yet running
// both heads on them with autograd was nearly all of heads-mode fine-tuning's time. Here H_type
// scores every proposal once without autograd, which picks the pseudo-labels, and both heads
// run with autograd on the chosen proposals only: the same loss and gradients up to float
// rounding (a matrix product over fewer rows may round differently, so a proposal within
// rounding of the pseudo-label threshold could count on one side and not the other), at a
// fraction of the cost.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

#include "muse/precision.hpp"
#include "nn/heads.hpp"
#include "train/detection_loss.hpp"

namespace muse::train {

/// L_cons's pseudo-labels: outside `region` (bool [B, N]), the proposals whose best nucleus class
/// probability under `probs` ([B, N, K + 1], softmax) reaches `threshold`.
struct PseudoLabels {
    at::Tensor mask;        ///< bool [B, N]
    at::Tensor best_class;  ///< int64 [B, N]: each proposal's best nucleus class (its target where masked)
};
PseudoLabels pseudo_labels(const at::Tensor& probs, const at::Tensor& region, double threshold);

/// The heads on the proposals of one sample that the loss reaches (those in `in_region` and the
/// pseudo-labels outside it), with `in_region` narrowed to them: pass both to detection_loss.
struct ProposalsInLoss {
    nn::DetectionHeadImpl::Output out;  ///< proposals [M, 2], points [1, M, 2], logits [1, M, K + 1]
    at::Tensor in_region;               ///< bool [1, M]
};

/// `features` [1, N, C] at `proposals` [N, 2], `in_region` bool [1, N]; `weights` gives the
/// pseudo-label threshold. The pseudo-labels are kept whatever lambda_cons is, so that the
/// loss report (L_cons and the pseudo-label count) is the same as on every proposal.
/// `precision` Bf16: the heads' matrix products run under bfloat16 autocast (their outputs,
/// points and logits, come back float32 for the loss).
ProposalsInLoss heads_where_the_loss_reaches(nn::DetectionHeadImpl& head, const at::Tensor& features,
                                             const at::Tensor& proposals, const at::Tensor& in_region,
                                             const LossWeights& weights, std::int64_t stride,
                                             Precision precision = Precision::Fp32);

/// One sample's loss: heads_where_the_loss_reaches, then detection_loss on those proposals
/// with the sample's `nuclei`.
DetectionLoss loss_where_it_reaches(nn::DetectionHeadImpl& head, const at::Tensor& features, const at::Tensor& proposals,
                                    const at::Tensor& in_region, const std::vector<LabelledPoint>& nuclei,
                                    const LossWeights& weights, std::int64_t stride,
                                    Precision precision = Precision::Fp32);

}  // namespace muse::train
