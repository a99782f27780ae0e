// Variant -> modules; heads attached under "head".
#include "model/network.hpp"

#include <utility>

#include <ATen/ATen.h>

#include "model/bf16_autocast.hpp"
#include "model/variants.hpp"

namespace muse::model {

Network build_network(const ModelConfig& config) {
    const Variant& v = find_variant(config.arch);
    Network n;
    if (v.family == Family::ResNet) {
        n.net = nn::make_resnet_encoder_decoder(v.stage_blocks, v.base_width);
    } else {
        nn::ViTSpec spec;
        spec.embed_dim = v.embed_dim;
        spec.depth = v.depth;
        spec.heads = v.heads;
        spec.grid = config.img_size / 16;
        spec.feature_blocks = v.feature_blocks;
        n.net = nn::make_vit_encoder_decoder(spec);
    }
    if (config.has_heads()) {
        n.head = n.net->register_module(
            "head", nn::DetectionHead(v.feature_dim, static_cast<std::int64_t>(config.classes.size()),
                                      config.detection.head_hidden));
    }
    return n;
}

namespace {

/// `name` is `part` itself or something inside it ("part.x"), not a sibling such as "partner".
bool is_or_inside(const std::string& name, const std::string& part) {
    return name.compare(0, part.size(), part) == 0 && (name.size() == part.size() || name[part.size()] == '.');
}

}  // namespace

bool in_backbone(const std::string& name) { return is_or_inside(name, "encoder.encoder"); }
bool in_heads(const std::string& name) { return is_or_inside(name, "head"); }

namespace {

/// The config's per-channel mean and std, shaped to broadcast over [B, 3, H, W].
std::pair<at::Tensor, at::Tensor> mean_and_std(const ModelConfig& config) {
    return {at::tensor(at::ArrayRef<float>(config.norm_mean.data(), 3)).view({1, 3, 1, 1}),
            at::tensor(at::ArrayRef<float>(config.norm_std.data(), 3)).view({1, 3, 1, 1})};
}

/// RGB in [0, 1] ([B, H, W, 3]) through OD' = max(0, OD M + b); a byte 0 reads as 1, as in
/// change_stains, so that black stays finite.
at::Tensor correct_stain(const at::Tensor& rgb01, const at::Tensor& matrix, const at::Tensor& offset) {
    const at::Tensor od = rgb01.clamp_min(1.0f / 255.0f).log().neg();
    return at::matmul(od, matrix).add(offset).clamp_min(0.0f).neg().exp();
}

}  // namespace

at::Tensor forward_dense(Network& network, const at::Tensor& input, Precision precision) {
    if (resolve_precision(precision) != Precision::Bf16) return network.net->forward(input).dense;
    at::Tensor dense;
    {
        Bf16Autocast autocast;
        dense = network.net->forward(input).dense;
    }
    return dense.to(at::kFloat);
}

at::Tensor normalise_rgb(const at::Tensor& rgb, const ModelConfig& config) {
    if (!config.od_transform.empty()) {
        const at::Tensor t = at::tensor(at::ArrayRef<float>(config.od_transform.data(), 12));
        return normalise_rgb(rgb, config, t.narrow(0, 0, 9).view({3, 3}), t.narrow(0, 9, 3));
    }
    const auto [mean, std] = mean_and_std(config);
    return rgb.permute({0, 3, 1, 2}).to(at::kFloat).div_(255.0f).sub_(mean).div_(std).contiguous();
}

at::Tensor normalise_rgb(const at::Tensor& rgb, const ModelConfig& config, const at::Tensor& od_matrix,
                         const at::Tensor& od_offset) {
    const auto [mean, std] = mean_and_std(config);
    // Out of place: exp's gradient needs its result, so the correction's output is not written over.
    const at::Tensor corrected = correct_stain(rgb.to(at::kFloat).div(255.0f), od_matrix, od_offset);
    return corrected.permute({0, 3, 1, 2}).sub(mean).div(std).contiguous();
}

}  // namespace muse::model
