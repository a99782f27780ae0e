// Building the torch network a ModelConfig describes: the variant's encoder-decoder, plus the
// detection heads (registered as its child "head") when the config has classes.
#pragma once

#include <memory>
#include <string>

#include "muse/model.hpp"
#include "muse/precision.hpp"
#include "nn/heads.hpp"
#include "nn/muse_net.hpp"

namespace muse::model {

struct Network {
    std::shared_ptr<nn::EncoderDecoder> net;  ///< its state dict is the model file's weights
    nn::DetectionHead head{nullptr};          ///< null when the config has no classes
};

/// A network with freshly initialised parameters (LibTorch's defaults) for `config`.
Network build_network(const ModelConfig& config);

/// Whether a parameter or module name (as in the state dict) lies in the backbone
/// ("encoder.encoder", the official code's layout) or in the detection heads ("head"): what the
/// fine-tuning modes and the backbone's learning rate go by.
bool in_backbone(const std::string& name);
bool in_heads(const std::string& name);

/// The network's dense feature map [B, C, h, w] for a normalised input, float32 whatever the
/// precision: with Bf16 (after resolve_precision, which refuses it on CPUs without native
/// bfloat16) the encoder-decoder runs under bfloat16 autocast, in training too (gradients flow
/// back through the casts to float32 weights and inputs); the heads, losses and decoding that
/// follow stay float32. Weights are cast per pass here: training changes them every step.
at::Tensor forward_dense(Network& network, const at::Tensor& input, Precision precision);

/// uint8 RGB tiles [B, H, W, 3] -> the network's float32 input [B, 3, H, W], as the reference
/// preprocesses (ToTensor: / 255, then Normalize with the config's mean and std).
at::Tensor normalise_rgb(const at::Tensor& rgb, const ModelConfig& config);

/// As normalise_rgb, with the stain correction given as tensors (matrix [3, 3], offset [3]) in
/// place of the config's od_transform: differentiable in them, so fine-tuning can fit it.
at::Tensor normalise_rgb(const at::Tensor& rgb, const ModelConfig& config, const at::Tensor& od_matrix,
                         const at::Tensor& od_offset);

}  // namespace muse::model
