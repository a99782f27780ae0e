// The common face of the MUSE encoder-decoder networks (ViT and ResNet-50 families).
#pragma once

#include <memory>
#include <vector>

#include <torch/nn/module.h>

namespace muse::nn {

/// An encoder-decoder whose children are registered under the reference names
/// ("encoder.encoder.*", "decoder.*"), so its state dict is the reference's.
struct EncoderDecoder : torch::nn::Module {
    struct Output {
        at::Tensor dense;   ///< [B, feature_dim, H/4, W/4]
        at::Tensor global;  ///< ViT: normed CLS [B, C, 1, 1]; ResNet: last stage map
    };
    /// `x`: normalised RGB, float32 [B, 3, H, W], H == W, a multiple of 32.
    virtual Output forward(const at::Tensor& x) = 0;
    /// Folds BatchNorm into convolutions for eval-mode inference; call after loading weights.
    virtual void fold_batchnorm() = 0;
};

struct ViTSpec {
    std::int64_t embed_dim = 384;
    std::int64_t depth = 12;
    std::int64_t heads = 6;
    std::int64_t grid = 14;              ///< position-embedding grid (img_size / 16)
    std::vector<int> feature_blocks = {2, 5, 8, 11};
};

std::shared_ptr<EncoderDecoder> make_vit_encoder_decoder(const ViTSpec& spec);
/// Bottleneck ResNet (v1.5) with `stage_blocks` blocks per stage and bottleneck widths
/// base_width x {1, 2, 4, 8} (ResNet-50: {3, 4, 6, 3} and 64), with the U-Net decoder.
std::shared_ptr<EncoderDecoder> make_resnet_encoder_decoder(const std::vector<int>& stage_blocks,
                                                            std::int64_t base_width = 64);

}  // namespace muse::nn
