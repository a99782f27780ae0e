// Convolution + BatchNorm pairs folded into one convolution for inference.
#pragma once

#include <torch/nn/modules/batchnorm.h>

namespace muse::nn {

/// A convolution whose weight and bias already include a following eval-mode BatchNorm
/// (and optionally the ReLU after it). Built once at load time; avoids one full pass over
/// every activation map per BatchNorm during inference.
struct FoldedConv {
    at::Tensor weight;
    at::Tensor bias;
    std::int64_t stride = 1;
    std::int64_t padding = 0;
    bool relu = false;

    bool defined() const { return weight.defined(); }
    at::Tensor operator()(const at::Tensor& x) const;
};

/// Folds `bn` (its running statistics, affine parameters and eps) into `conv_weight`
/// ([out, in, k, k], no bias). Computed in float64, stored in float32.
FoldedConv fold_batchnorm(const at::Tensor& conv_weight, const torch::nn::BatchNorm2d& bn,
                          std::int64_t stride, std::int64_t padding, bool relu);

}  // namespace muse::nn
