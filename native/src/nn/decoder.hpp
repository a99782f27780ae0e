// The MUSE U-Net decoder with hyper-features, shared by the ViT and ResNet-50 models.
// Module and member names are those of the reference Python code, so state-dict keys match.
#pragma once

#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include "nn/conv_bn.hpp"

namespace muse::nn {

/// Conv (no bias) + BatchNorm (+ ReLU), registered as `layer.0`, `layer.1` like the reference.
struct ConvLayerImpl : torch::nn::Module {
    ConvLayerImpl(std::int64_t in, std::int64_t out, std::int64_t kernel, bool relu);
    at::Tensor forward(const at::Tensor& x);
    /// Prepares the folded inference path; call after the weights are loaded.
    void fold_batchnorm();

    torch::nn::Conv2d conv{nullptr};
    torch::nn::BatchNorm2d bn{nullptr};
    torch::nn::Sequential layer{nullptr};
    bool relu;
    FoldedConv folded;
};
TORCH_MODULE(ConvLayer);

/// conv3x3-BN-ReLU, conv3x3-BN, identity shortcut, add, ReLU.
struct BasicResBlockImpl : torch::nn::Module {
    explicit BasicResBlockImpl(std::int64_t channels);
    at::Tensor forward(const at::Tensor& x);
    void fold_batchnorm();

    ConvLayer conv1{nullptr};
    ConvLayer conv2{nullptr};
};
TORCH_MODULE(BasicResBlock);

/// Upsample the decoder input to the skip's size, concat [decoder, skip], ConvLayer, BasicResBlock.
struct UnetBlockImpl : torch::nn::Module {
    UnetBlockImpl(std::int64_t in, std::int64_t out);
    at::Tensor forward(const at::Tensor& decoder_in, const at::Tensor& skip);
    void fold_batchnorm();

    ConvLayer first_block{nullptr};
    BasicResBlock last_block{nullptr};
};
TORCH_MODULE(UnetBlock);

/// 1x1 ConvLayer (no activation) on each input, resized to the first input's size, concatenated.
struct HyperFeatsImpl : torch::nn::Module {
    HyperFeatsImpl(const std::vector<std::int64_t>& in_channels, std::int64_t out);
    at::Tensor forward(const std::vector<at::Tensor>& maps);
    void fold_batchnorm();

    torch::nn::ModuleList conv_list{nullptr};
    std::vector<ConvLayer> convs;
};
TORCH_MODULE(HyperFeats);

/// Decoder of the ViT models: reassembly (1x1 convs + resampling by 4, 2, 1, 0.5), three
/// U-Net blocks, hyper-features. Input: the four token maps [B, C, g, g]; output [B, C, 4g, 4g].
struct ViTDecoderImpl : torch::nn::Module {
    explicit ViTDecoderImpl(std::int64_t embed_dim);
    at::Tensor forward(const std::vector<at::Tensor>& token_maps);
    void fold_batchnorm();

    torch::nn::ModuleList dim_map_layers{nullptr};
    std::vector<torch::nn::Conv2d> dim_maps;
    UnetBlock decoder3{nullptr}, decoder2{nullptr}, decoder1{nullptr};
    HyperFeats hyper_feats{nullptr};
};
TORCH_MODULE(ViTDecoder);

/// Decoder of the ResNet models ("CattedDecoder"): stages (/4, /8, /16, /32) of c, 2c, 4c, 8c
/// channels -> [B, 4c, H/4, W/4] (ResNet-50: c = 256, output 1024 channels).
struct ResNetDecoderImpl : torch::nn::Module {
    explicit ResNetDecoderImpl(std::int64_t first_stage_channels);
    at::Tensor forward(const std::vector<at::Tensor>& stages);
    void fold_batchnorm();

    UnetBlock decoder3{nullptr}, decoder2{nullptr}, decoder1{nullptr};
    HyperFeats hyper_feats{nullptr};
};
TORCH_MODULE(ResNetDecoder);

/// Bilinear resize with align_corners=True, as every resampling in the MUSE decoder.
at::Tensor resize_bilinear(const at::Tensor& x, std::int64_t height, std::int64_t width);

}  // namespace muse::nn
