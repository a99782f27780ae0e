// The vision transformer encoder and the ViT encoder-decoder (reassembly + U-Net decoder).
#include "nn/vit.hpp"

#include <cmath>

#include <ATen/ATen.h>

#include "muse/errors.hpp"
#include "nn/bf16_weights.hpp"
#include "nn/blocked_attention.hpp"
#include "nn/decoder.hpp"
#include "nn/packed_linear.hpp"
#include "nn/muse_net.hpp"

namespace muse::nn {

constexpr std::int64_t kPatch = 16;
constexpr double kLayerNormEps = 1e-6;

namespace {

/// y = x W^T + b on tokens [B, N, C_in], computed as a 1x1 convolution over the tokens seen
/// as a channels-last [B, C_in, N, 1] image (a view, no copy). Same result as a Linear; it runs
/// on oneDNN's convolution kernels, about twice as fast here as the BLAS GEMM behind addmm.
at::Tensor token_linear(const at::Tensor& x, const torch::nn::Linear& layer) {
    const std::int64_t b = x.size(0), n = x.size(1), c_in = x.size(2), c_out = layer->weight.size(0);
    at::Tensor image = x.contiguous().view({b, n, 1, c_in}).permute({0, 3, 1, 2});
    at::Tensor y = at::conv2d(image, weight_for_pass(layer->weight).view({c_out, c_in, 1, 1}), weight_for_pass(layer->bias));
    return y.permute({0, 2, 3, 1}).reshape({b, n, c_out});
}

/// x W^T + b, then `then` (GELU, or residual + the result, the reference's order): on the
/// packed oneDNN product where it applies (inference, float32 or bfloat16), else as the 1x1
/// convolution followed by LibTorch's GELU or sum (training).
at::Tensor linear(const PackedLinear& packed, const at::Tensor& x, const torch::nn::Linear& layer, LinearThen then,
                  const at::Tensor& residual = {}) {
    if (PackedLinear::applies(x, layer->weight)) {
        at::Tensor y = packed(x, layer->weight, layer->bias, then, residual);
        if (y.defined()) return y;
    }
    at::Tensor y = token_linear(x, layer);
    if (then == LinearThen::Gelu) return at::gelu(y);  // exact (erf) GELU
    if (then == LinearThen::AddResidual) return residual + y;
    return y;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
AttentionImpl::AttentionImpl(std::int64_t dim, std::int64_t num_heads)
    : heads(num_heads), scale(1.0 / std::sqrt(static_cast<double>(dim / num_heads))) {
    qkv = register_module("qkv", torch::nn::Linear(torch::nn::LinearOptions(dim, 3 * dim).bias(true)));
    proj = register_module("proj", torch::nn::Linear(dim, dim));
}

at::Tensor AttentionImpl::forward(const at::Tensor& x, const at::Tensor& residual) {
    const std::int64_t b = x.size(0), n = x.size(1), c = x.size(2);
    const at::Tensor q_k_v = linear(packed_qkv, x, qkv, LinearThen::Nothing);
    const LinearThen then = residual.defined() ? LinearThen::AddResidual : LinearThen::Nothing;
    if (blocked_attention_applies(q_k_v)) {  // inference: each block of scores stays in cache
        at::Tensor mixed = blocked_attention(q_k_v, heads, scale);
        if (mixed.defined()) return linear(packed_proj, mixed, proj, then, residual);
    }
    // (B, N, 3, heads, head_dim) -> (3, B, heads, N, head_dim), the reference's split order.
    at::Tensor parts = q_k_v.view({b, n, 3, heads, c / heads}).permute({2, 0, 3, 1, 4});
    at::Tensor q = parts[0], k = parts[1], v = parts[2];
    at::Tensor attn = at::matmul(q, k.transpose(-2, -1)).mul_(scale).softmax(-1);
    return linear(packed_proj, at::matmul(attn, v).transpose(1, 2).reshape({b, n, c}), proj, then, residual);
}

MlpImpl::MlpImpl(std::int64_t dim) {
    fc1 = register_module("fc1", torch::nn::Linear(dim, 4 * dim));
    fc2 = register_module("fc2", torch::nn::Linear(4 * dim, dim));
}

at::Tensor MlpImpl::forward(const at::Tensor& x, const at::Tensor& residual) {
    const LinearThen then = residual.defined() ? LinearThen::AddResidual : LinearThen::Nothing;
    return linear(packed_fc2, linear(packed_fc1, x, fc1, LinearThen::Gelu), fc2, then, residual);
}

BlockImpl::BlockImpl(std::int64_t dim, std::int64_t heads) {
    norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(kLayerNormEps)));
    attn = register_module("attn", Attention(dim, heads));
    norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(kLayerNormEps)));
    mlp = register_module("mlp", Mlp(dim));
}

at::Tensor BlockImpl::forward(const at::Tensor& x) {
    at::Tensor y = attn->forward(norm1(x), x);  // x + attn(norm1(x)), the sum inside the projection
    return mlp->forward(norm2(y), y);           // y + mlp(norm2(y))
}

PatchEmbedImpl::PatchEmbedImpl(std::int64_t dim) {
    proj = register_module("proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, dim, kPatch).stride(kPatch)));
}

at::Tensor PatchEmbedImpl::forward(const at::Tensor& x) { return proj(x).flatten(2).transpose(1, 2); }

// ---------------------------------------------------------------------------------------------
VisionTransformerImpl::VisionTransformerImpl(std::int64_t dim, std::int64_t depth, std::int64_t heads,
                                             std::int64_t grid) {
    patch_embed = register_module("patch_embed", PatchEmbed(dim));
    cls_token = register_parameter("cls_token", at::zeros({1, 1, dim}));
    pos_embed = register_parameter("pos_embed", at::zeros({1, grid * grid + 1, dim}));
    blocks = register_module("blocks", torch::nn::ModuleList());
    for (std::int64_t i = 0; i < depth; ++i) {
        block_list.push_back(Block(dim, heads));
        blocks->push_back(block_list.back());
    }
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(kLayerNormEps)));
}

std::vector<at::Tensor> VisionTransformerImpl::forward(const at::Tensor& x, const std::vector<int>& out_blocks) {
    const std::int64_t b = x.size(0);
    const std::int64_t grid = x.size(-1) / kPatch;
    at::Tensor t = at::cat({cls_token.expand({b, -1, -1}), patch_embed(x)}, 1);  // CLS first, then pos
    // Run-time interpolation when the input grid differs from the stored one (DINO's rule).
    at::Tensor pos = t.size(1) == pos_embed.size(1) ? pos_embed : regrid_pos_embed(pos_embed, grid);
    t = t + pos;
    std::vector<at::Tensor> outs;
    std::size_t next = 0;
    for (std::size_t i = 0; i < block_list.size() && next < out_blocks.size(); ++i) {
        t = block_list[i](t);
        if (static_cast<int>(i) == out_blocks[next]) {
            outs.push_back(norm(t));
            ++next;
        }
    }
    return outs;
}

at::Tensor regrid_pos_embed(const at::Tensor& pos_embed, std::int64_t grid) {
    const std::int64_t n = pos_embed.size(1) - 1, dim = pos_embed.size(2);
    const auto g = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(n))));
    if (g * g != n || g == 0) {
        throw ModelMismatch("encoder.encoder.pos_embed holds " + std::to_string(n) +
                            " patch positions, which is not a square grid");
    }
    at::Tensor patch = pos_embed.narrow(1, 1, n).reshape({1, g, g, dim}).permute({0, 3, 1, 2});
    // The reference passes scale_factor=(grid + 0.1) / g to F.interpolate: the output size is
    // floor(g * scale) and the kernel maps coordinates with 1 / scale, not g / grid.
    const double scale = (static_cast<double>(grid) + 0.1) / static_cast<double>(g);
    const auto out = static_cast<std::int64_t>(std::floor(static_cast<double>(g) * scale));
    if (out != grid) {
        throw ModelMismatch("position embedding re-grid from " + std::to_string(g) + " to " + std::to_string(grid) +
                            " gives " + std::to_string(out) + " patches");
    }
    patch = at::upsample_bicubic2d(patch, {out, out}, /*align_corners=*/false, scale, scale);
    patch = patch.permute({0, 2, 3, 1}).reshape({1, out * out, dim});
    return at::cat({pos_embed.narrow(1, 0, 1), patch}, 1);
}

// ---------------------------------------------------------------------------------------------
namespace {

/// The reference wraps the transformer in a "ViTBackbone" whose only child is "encoder".
struct MuseViT : EncoderDecoder {
    explicit MuseViT(const ViTSpec& spec) : feature_blocks(spec.feature_blocks) {
        auto backbone = std::make_shared<torch::nn::Module>("ViTBackbone");
        vit = backbone->register_module("encoder", VisionTransformer(spec.embed_dim, spec.depth, spec.heads, spec.grid));
        register_module("encoder", backbone);
        decoder = register_module("decoder", ViTDecoder(spec.embed_dim));
    }

    Output forward(const at::Tensor& x) override {
        const std::int64_t b = x.size(0), g = x.size(-1) / kPatch;
        std::vector<at::Tensor> tokens = vit->forward(x, feature_blocks);
        std::vector<at::Tensor> maps;
        maps.reserve(tokens.size());
        for (const auto& t : tokens) {
            // Drop CLS; tokens are row-major patches, so [B, g*g, C] is already an NHWC image:
            // hand it to the decoder as a channels-last [B, C, g, g] map.
            maps.push_back(t.narrow(1, 1, g * g)
                               .reshape({b, g, g, -1})
                               .permute({0, 3, 1, 2})
                               .contiguous(at::MemoryFormat::ChannelsLast));
        }
        Output out;
        out.dense = decoder(maps).contiguous();
        out.global = tokens.back().narrow(1, 0, 1).transpose(1, 2).unsqueeze(-1);
        return out;
    }

    void fold_batchnorm() override { decoder->fold_batchnorm(); }

    std::vector<int> feature_blocks;
    VisionTransformer vit{nullptr};
    ViTDecoder decoder{nullptr};
};

}  // namespace

std::shared_ptr<EncoderDecoder> make_vit_encoder_decoder(const ViTSpec& spec) {
    return std::make_shared<MuseViT>(spec);
}

}  // namespace muse::nn
