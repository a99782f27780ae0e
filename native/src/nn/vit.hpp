// The DINO-layout vision transformer that MUSE uses as encoder (pre-norm blocks, exact GELU,
// LayerNorm eps 1e-6), with the reference's module names.
#pragma once

#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "nn/packed_linear.hpp"

namespace muse::nn {

struct AttentionImpl : torch::nn::Module {
    AttentionImpl(std::int64_t dim, std::int64_t heads);
    /// Attention over tokens x [B, N, C]; `residual` + that where given (the block's skip
    /// connection, summed inside the projection on the packed path).
    at::Tensor forward(const at::Tensor& x, const at::Tensor& residual = {});

    torch::nn::Linear qkv{nullptr}, proj{nullptr};
    PackedLinear packed_qkv, packed_proj;  ///< float32 inference's products of qkv and proj
    std::int64_t heads;
    double scale;
};
TORCH_MODULE(Attention);

struct MlpImpl : torch::nn::Module {
    explicit MlpImpl(std::int64_t dim);
    /// fc2(GELU(fc1(x))); `residual` + that where given, as in AttentionImpl::forward.
    at::Tensor forward(const at::Tensor& x, const at::Tensor& residual = {});

    torch::nn::Linear fc1{nullptr}, fc2{nullptr};
    PackedLinear packed_fc1, packed_fc2;  ///< float32 inference's products of fc1 and fc2
};
TORCH_MODULE(Mlp);

struct BlockImpl : torch::nn::Module {
    BlockImpl(std::int64_t dim, std::int64_t heads);
    at::Tensor forward(const at::Tensor& x);

    torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
    Attention attn{nullptr};
    Mlp mlp{nullptr};
};
TORCH_MODULE(Block);

struct PatchEmbedImpl : torch::nn::Module {
    explicit PatchEmbedImpl(std::int64_t dim);
    at::Tensor forward(const at::Tensor& x);  ///< [B, 3, H, W] -> [B, (H/16)*(W/16), C]

    torch::nn::Conv2d proj{nullptr};
};
TORCH_MODULE(PatchEmbed);

struct VisionTransformerImpl : torch::nn::Module {
    VisionTransformerImpl(std::int64_t dim, std::int64_t depth, std::int64_t heads, std::int64_t grid);

    /// Tokens [B, 1 + g*g, C] after each block in `out_blocks`, each passed through the shared
    /// final `norm` (as the reference's get_specific_layer does).
    std::vector<at::Tensor> forward(const at::Tensor& x, const std::vector<int>& out_blocks);

    PatchEmbed patch_embed{nullptr};
    at::Tensor cls_token, pos_embed;
    torch::nn::ModuleList blocks{nullptr};
    std::vector<Block> block_list;
    torch::nn::LayerNorm norm{nullptr};
};
TORCH_MODULE(VisionTransformer);

/// Re-grids a position embedding [1, 1 + g*g, C] to `grid` x `grid` patches the way the
/// reference does: bicubic (A = -0.75, align_corners=False) with scale factor
/// (grid + 0.1) / g used for the coordinate mapping. Not the identity even when grid == g.
/// Throws ModelMismatch when the patch part is not a square grid.
at::Tensor regrid_pos_embed(const at::Tensor& pos_embed, std::int64_t grid);

}  // namespace muse::nn
