// ResNet-50 encoder and the ResNet encoder-decoder (U-Net decoder on the four stages).
#include "nn/resnet.hpp"

#include <ATen/ATen.h>

#include "nn/decoder.hpp"
#include "nn/muse_net.hpp"

namespace muse::nn {
namespace {

torch::nn::Conv2d conv(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride, std::int64_t pad) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(false));
}

}  // namespace

BottleneckImpl::BottleneckImpl(std::int64_t in, std::int64_t width, std::int64_t s) : stride(s) {
    conv1 = register_module("conv1", conv(in, width, 1, 1, 0));
    bn1 = register_module("bn1", torch::nn::BatchNorm2d(width));
    conv2 = register_module("conv2", conv(width, width, 3, stride, 1));
    bn2 = register_module("bn2", torch::nn::BatchNorm2d(width));
    conv3 = register_module("conv3", conv(width, 4 * width, 1, 1, 0));
    bn3 = register_module("bn3", torch::nn::BatchNorm2d(4 * width));
    if (stride != 1 || in != 4 * width) {
        down_conv = conv(in, 4 * width, 1, stride, 0);
        down_bn = torch::nn::BatchNorm2d(4 * width);
        downsample = register_module("downsample", torch::nn::Sequential(down_conv, down_bn));
    }
}

at::Tensor BottleneckImpl::forward(const at::Tensor& x) {
    if (f1.defined() && !is_training()) {
        at::Tensor y = f3(f2(f1(x)));
        return at::relu_(y.add_(fdown.defined() ? fdown(x) : x));
    }
    at::Tensor y = at::relu(bn1(conv1(x)));
    y = at::relu(bn2(conv2(y)));
    y = bn3(conv3(y));
    return at::relu(y + (downsample ? downsample->forward(x) : x));
}

void BottleneckImpl::fold_batchnorm() {
    f1 = nn::fold_batchnorm(conv1->weight, bn1, 1, 0, true);
    f2 = nn::fold_batchnorm(conv2->weight, bn2, stride, 1, true);
    f3 = nn::fold_batchnorm(conv3->weight, bn3, 1, 0, false);
    if (downsample) fdown = nn::fold_batchnorm(down_conv->weight, down_bn, stride, 0, false);
}

ResNetImpl::ResNetImpl(const std::vector<int>& stage_blocks, std::int64_t base_width) {
    conv1 = register_module("conv1", conv(3, base_width, 7, 2, 3));
    bn1 = register_module("bn1", torch::nn::BatchNorm2d(base_width));
    std::int64_t in = base_width;
    const std::int64_t widths[4] = {base_width, 2 * base_width, 4 * base_width, 8 * base_width};
    for (std::size_t s = 0; s < stage_blocks.size() && s < 4; ++s) {
        auto layer = register_module("layer" + std::to_string(s + 1), torch::nn::ModuleList());
        stages.emplace_back();
        for (int b = 0; b < stage_blocks[s]; ++b) {
            const std::int64_t stride = (b == 0 && s > 0) ? 2 : 1;
            stages.back().push_back(Bottleneck(in, widths[s], stride));
            layer->push_back(stages.back().back());
            in = 4 * widths[s];
        }
    }
}

std::vector<at::Tensor> ResNetImpl::forward(const at::Tensor& x) {
    at::Tensor y = stem.defined() && !is_training() ? stem(x) : at::relu(bn1(conv1(x)));
    y = at::max_pool2d(y, {3, 3}, {2, 2}, {1, 1});
    std::vector<at::Tensor> outs;
    for (auto& stage : stages) {
        for (auto& block : stage) y = block(y);
        outs.push_back(y);
    }
    return outs;
}

void ResNetImpl::fold_batchnorm() {
    stem = nn::fold_batchnorm(conv1->weight, bn1, 2, 3, true);
    for (auto& stage : stages) {
        for (auto& block : stage) block->fold_batchnorm();
    }
}

// ---------------------------------------------------------------------------------------------
namespace {

/// The reference's "ConvBackbone" holds the timm ResNet under "encoder"; the decoder follows.
struct MuseResNet : EncoderDecoder {
    MuseResNet(const std::vector<int>& stage_blocks, std::int64_t base_width) {
        auto backbone = std::make_shared<torch::nn::Module>("ConvBackbone");
        resnet = backbone->register_module("encoder", ResNet(stage_blocks, base_width));
        register_module("encoder", backbone);
        decoder = register_module("decoder", ResNetDecoder(4 * base_width));
    }

    Output forward(const at::Tensor& x) override {
        // Channels-last throughout: oneDNN's convolutions then need no layout reorders.
        std::vector<at::Tensor> stages = resnet->forward(x.contiguous(at::MemoryFormat::ChannelsLast));
        Output out;
        out.dense = decoder(stages).contiguous();
        out.global = stages.back().contiguous();
        return out;
    }

    void fold_batchnorm() override {
        resnet->fold_batchnorm();
        decoder->fold_batchnorm();
    }

    ResNet resnet{nullptr};
    ResNetDecoder decoder{nullptr};
};

}  // namespace

std::shared_ptr<EncoderDecoder> make_resnet_encoder_decoder(const std::vector<int>& stage_blocks,
                                                            std::int64_t base_width) {
    return std::make_shared<MuseResNet>(stage_blocks, base_width);
}

}  // namespace muse::nn
