// Convolution + BatchNorm pairs folded into one convolution for inference.
#pragma once

#include <memory>

#include <torch/nn/modules/batchnorm.h>

namespace muse::nn {

class WinogradConv;

/// A convolution whose weight and bias already include a following eval-mode BatchNorm
/// (and optionally the ReLU after it). Built once at load time; avoids one full pass over
/// every activation map per BatchNorm during inference. Differentiable in its input (not in
/// its weights, which are no parameters): a frozen network can be folded and still pass
/// gradients back to its input.
struct FoldedConv {
    at::Tensor weight;
    at::Tensor bias;
    std::int64_t stride = 1;
    std::int64_t padding = 0;
    bool relu = false;
    /// Set for 3x3 stride-1 convolutions when oneDNN has Winograd kernels on this machine.
    std::shared_ptr<const WinogradConv> winograd;

    bool defined() const { return weight.defined(); }
    at::Tensor operator()(const at::Tensor& x) const;
};

/// Folds `bn` (its running statistics, affine parameters and eps) into `conv_weight`
/// ([out, in, k, k], no bias). Factors computed in float64, weights stored in float32. A 3x3
/// stride-1 convolution runs on oneDNN's Winograd kernels where available
/// (nn/winograd_conv.hpp).
FoldedConv fold_batchnorm(const at::Tensor& conv_weight, const torch::nn::BatchNorm2d& bn,
                          std::int64_t stride, std::int64_t padding, bool relu);

}  // namespace muse::nn
