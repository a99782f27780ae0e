// BatchNorm folding arithmetic and the folded convolution call.
#include "nn/conv_bn.hpp"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <c10/core/GradMode.h>

#include "nn/bf16_weights.hpp"
#include "nn/winograd_conv.hpp"

namespace muse::nn {

at::Tensor FoldedConv::operator()(const at::Tensor& x) const {
    // oneDNN's Winograd kernels are float32 only: under bfloat16 autocast (muse/precision.hpp)
    // the convolution goes to LibTorch, which casts it to bfloat16. (Keeping float32 Winograd
    // for these layers under bfloat16 was measured on AVX512-BF16: no faster, within noise.)
    // They have no backward either: a pass that wants the input's gradient (the stain fit runs a
    // folded, frozen network) goes to LibTorch too.
    const bool wants_gradient = at::GradMode::is_enabled() && x.requires_grad();
    if (winograd && !at::autocast::is_cpu_enabled() && !wants_gradient) return (*winograd)(x);
    at::Tensor y = at::conv2d(x, weight_for_pass(weight), weight_for_pass(bias), {stride, stride}, {padding, padding});
    return relu ? at::relu_(y) : y;
}

FoldedConv fold_batchnorm(const at::Tensor& conv_weight, const torch::nn::BatchNorm2d& bn,
                          std::int64_t stride, std::int64_t padding, bool relu) {
    at::NoGradGuard no_grad;
    const double eps = bn->options.eps();
    // The per-channel factors in float64; the weights themselves are scaled in float32 (one
    // rounding more than a float64 product, at most 1 ulp), which keeps loading a large model
    // from converting hundreds of MB to float64 and back.
    at::Tensor scale = bn->weight.to(at::kDouble) / (bn->running_var.to(at::kDouble) + eps).sqrt();
    FoldedConv f;
    // Channels-last like the activations, so oneDNN needs no weight reorder on each call.
    f.weight = at::empty_like(conv_weight, at::MemoryFormat::ChannelsLast);
    at::mul_out(f.weight, conv_weight, scale.to(at::kFloat).view({-1, 1, 1, 1}));
    f.bias = (bn->bias.to(at::kDouble) - bn->running_mean.to(at::kDouble) * scale).to(at::kFloat).contiguous();
    f.stride = stride;
    f.padding = padding;
    f.relu = relu;
    if (f.weight.size(2) == 3 && f.weight.size(3) == 3 && stride == 1 && padding == 1) {
        f.winograd = WinogradConv::create(f.weight, f.bias, relu);
    }
    return f;
}

}  // namespace muse::nn
