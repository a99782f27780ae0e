// The U-Net decoder blocks and the ViT / ResNet-50 decoders built from them.
#include "nn/decoder.hpp"

#include <ATen/ATen.h>
#include <torch/nn/modules/activation.h>

namespace muse::nn {

at::Tensor resize_bilinear(const at::Tensor& x, std::int64_t height, std::int64_t width) {
    // With align_corners=True a same-size resize maps every pixel onto itself: skip the copy.
    if (x.size(-2) == height && x.size(-1) == width) return x;
    // LibTorch 1.13's bilinear resize has no vectorised bfloat16 kernel: under bfloat16 autocast
    // it ran 5x slower than in float32, its backward half of a fine-tuning step's (measured,
    // docs/performance.md). Resized in float32 and handed on in the input's type.
    if (x.scalar_type() == at::kBFloat16) {
        return at::upsample_bilinear2d(x.to(at::kFloat), {height, width}, /*align_corners=*/true).to(at::kBFloat16);
    }
    return at::upsample_bilinear2d(x, {height, width}, /*align_corners=*/true);
}

// ---------------------------------------------------------------------------------------------
ConvLayerImpl::ConvLayerImpl(std::int64_t in, std::int64_t out, std::int64_t kernel, bool relu_after)
    : relu(relu_after) {
    conv = torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).padding(kernel / 2).bias(false));
    bn = torch::nn::BatchNorm2d(out);
    layer = torch::nn::Sequential(conv, bn);
    if (relu) layer->push_back(torch::nn::ReLU(torch::nn::ReLUOptions(true)));
    register_module("layer", layer);
}

at::Tensor ConvLayerImpl::forward(const at::Tensor& x) {
    if (folded.defined() && !is_training()) return folded(x);
    return layer->forward(x);
}

void ConvLayerImpl::fold_batchnorm() {
    folded = nn::fold_batchnorm(conv->weight, bn, 1, conv->options.kernel_size()->at(0) / 2, relu);
}

// ---------------------------------------------------------------------------------------------
BasicResBlockImpl::BasicResBlockImpl(std::int64_t channels) {
    conv1 = register_module("conv1", ConvLayer(channels, channels, 3, true));
    conv2 = register_module("conv2", ConvLayer(channels, channels, 3, false));
}

at::Tensor BasicResBlockImpl::forward(const at::Tensor& x) {
    at::Tensor y = conv2(conv1(x));
    if (is_training()) return at::relu(y + x);
    return at::relu_(y.add_(x));  // y is a fresh buffer here: reuse it for the sum
}

void BasicResBlockImpl::fold_batchnorm() {
    conv1->fold_batchnorm();
    conv2->fold_batchnorm();
}

// ---------------------------------------------------------------------------------------------
UnetBlockImpl::UnetBlockImpl(std::int64_t in, std::int64_t out) {
    first_block = register_module("first_block", ConvLayer(in, out, 3, true));
    last_block = register_module("last_block", BasicResBlock(out));
}

at::Tensor UnetBlockImpl::forward(const at::Tensor& decoder_in, const at::Tensor& skip) {
    at::Tensor up = resize_bilinear(decoder_in, skip.size(-2), skip.size(-1));
    return last_block(first_block(at::cat({up, skip}, 1)));  // order: [decoder, skip]
}

void UnetBlockImpl::fold_batchnorm() {
    first_block->fold_batchnorm();
    last_block->fold_batchnorm();
}

// ---------------------------------------------------------------------------------------------
HyperFeatsImpl::HyperFeatsImpl(const std::vector<std::int64_t>& in_channels, std::int64_t out) {
    conv_list = register_module("conv_list", torch::nn::ModuleList());
    for (auto c : in_channels) {
        convs.push_back(ConvLayer(c, out, 1, false));
        conv_list->push_back(convs.back());
    }
}

at::Tensor HyperFeatsImpl::forward(const std::vector<at::Tensor>& maps) {
    std::vector<at::Tensor> parts;
    parts.reserve(maps.size());
    for (std::size_t i = 0; i < maps.size(); ++i) {
        at::Tensor y = convs[i](maps[i]);
        // Every map is brought to the first (finest) map's size.
        parts.push_back(i == 0 ? y : resize_bilinear(y, parts[0].size(-2), parts[0].size(-1)));
    }
    return at::cat(parts, 1);
}

void HyperFeatsImpl::fold_batchnorm() {
    for (auto& c : convs) c->fold_batchnorm();
}

// ---------------------------------------------------------------------------------------------
ViTDecoderImpl::ViTDecoderImpl(std::int64_t c) {
    const std::vector<std::int64_t> dims = {c / 4, c / 2, c, 2 * c};
    dim_map_layers = register_module("dim_map_layers", torch::nn::ModuleList());
    for (auto d : dims) {
        dim_maps.push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(c, d, 1).bias(false)));
        dim_map_layers->push_back(dim_maps.back());
    }
    decoder3 = register_module("decoder3", UnetBlock(2 * c + c, c));
    decoder2 = register_module("decoder2", UnetBlock(c + c / 2, c / 2));
    decoder1 = register_module("decoder1", UnetBlock(c / 2 + c / 4, c / 4));
    hyper_feats = register_module("hyper_feats", HyperFeats(dims, c / 4));
}

at::Tensor ViTDecoderImpl::forward(const std::vector<at::Tensor>& token_maps) {
    const std::int64_t g = token_maps.at(0).size(-1);
    // Reassembly: token maps at stride 16 become strides 4, 8, 16, 32.
    at::Tensor e1 = resize_bilinear(dim_maps[0](token_maps[0]), 4 * g, 4 * g);
    at::Tensor e2 = resize_bilinear(dim_maps[1](token_maps[1]), 2 * g, 2 * g);
    at::Tensor e3 = dim_maps[2](token_maps[2]);
    at::Tensor e4 = resize_bilinear(dim_maps[3](token_maps[3]), g / 2, g / 2);
    at::Tensor d3 = decoder3(e4, e3);
    at::Tensor d2 = decoder2(d3, e2);
    at::Tensor d1 = decoder1(d2, e1);
    return hyper_feats->forward({d1, d2, d3, e4});
}

void ViTDecoderImpl::fold_batchnorm() {
    decoder3->fold_batchnorm();
    decoder2->fold_batchnorm();
    decoder1->fold_batchnorm();
    hyper_feats->fold_batchnorm();
}

// ---------------------------------------------------------------------------------------------
ResNetDecoderImpl::ResNetDecoderImpl(std::int64_t c) {
    decoder3 = register_module("decoder3", UnetBlock(8 * c + 4 * c, 4 * c));
    decoder2 = register_module("decoder2", UnetBlock(4 * c + 2 * c, 2 * c));
    decoder1 = register_module("decoder1", UnetBlock(2 * c + c, c));
    // Every level is brought to (last stage's channels) / 8, as the reference's 2048 // 8.
    hyper_feats = register_module("hyper_feats", HyperFeats(std::vector<std::int64_t>{c, 2 * c, 4 * c, 8 * c}, c));
}

at::Tensor ResNetDecoderImpl::forward(const std::vector<at::Tensor>& stages) {
    const at::Tensor& e2 = stages.at(0);
    const at::Tensor& e5 = stages.at(3);
    at::Tensor d4 = decoder3(e5, stages[2]);
    at::Tensor d3 = decoder2(d4, stages[1]);
    at::Tensor d2 = decoder1(d3, e2);
    return hyper_feats->forward({d2, d3, d4, e5});
}

void ResNetDecoderImpl::fold_batchnorm() {
    decoder3->fold_batchnorm();
    decoder2->fold_batchnorm();
    decoder1->fold_batchnorm();
    hyper_feats->fold_batchnorm();
}

}  // namespace muse::nn
