// The ResNet-50 (v1.5, torchvision layout) encoder of MUSE-R50, exposing all four stages; also
// narrower ResNets of the same layout (registered variants with a smaller base width).
#pragma once

#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include "nn/conv_bn.hpp"

namespace muse::nn {

/// 1x1 -> 3x3 (stride here, v1.5) -> 1x1 with expansion 4; projection shortcut when needed.
struct BottleneckImpl : torch::nn::Module {
    BottleneckImpl(std::int64_t in, std::int64_t width, std::int64_t stride);
    at::Tensor forward(const at::Tensor& x);
    void fold_batchnorm();

    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
    torch::nn::Sequential downsample{nullptr};  ///< registered only when present
    torch::nn::Conv2d down_conv{nullptr};       ///< downsample[0]
    torch::nn::BatchNorm2d down_bn{nullptr};    ///< downsample[1]
    std::int64_t stride;
    FoldedConv f1, f2, f3, fdown;
};
TORCH_MODULE(Bottleneck);

struct ResNetImpl : torch::nn::Module {
    ResNetImpl(const std::vector<int>& stage_blocks, std::int64_t base_width);
    /// Outputs of layer1..layer4: strides 4, 8, 16, 32; channels 4, 8, 16, 32 x base_width
    /// (256, 512, 1024, 2048 for ResNet-50).
    std::vector<at::Tensor> forward(const at::Tensor& x);
    void fold_batchnorm();

    torch::nn::Conv2d conv1{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr};
    FoldedConv stem;
    std::vector<std::vector<Bottleneck>> stages;
};
TORCH_MODULE(ResNet);

}  // namespace muse::nn
