// Multi-head softmax attention for inference, computed a block of query rows at a time so that
// each block's scores stay in the core's cache instead of travelling through memory.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace muse::nn {

/// Whether blocked_attention can compute attention on `qkv`: float32 or bfloat16, contiguous,
/// on the CPU, nothing to differentiate (no autograd graph wanted), and not switched off with
/// MUSE_BLOCKED_ATTENTION=0 in the environment (kept for speed comparisons).
bool blocked_attention_applies(const at::Tensor& qkv);

/// softmax(q k^T * scale) v for every head, as the reference's Attention computes it, from the
/// qkv linear's output `qkv` [B, N, 3 * C] (q, k, v each split into `heads` heads of C / heads).
/// Returns [B, N, C] in qkv's type, heads side by side: the projection's input. Each (image,
/// head, block of 64 query rows) is one task for a thread: oneDNN computes the block's scores
/// [64, N] (scale applied to the product, as the reference does), their softmax, and the
/// product with v. Scores and softmax are float32 in both precisions (bfloat16 inputs: the
/// products run in bfloat16). The unblocked computation writes and rereads B x heads x N x N
/// scores (25 MB per ViT-S block at 512 px, 1025 tokens), which makes its softmax memory-bound.
/// Returns an undefined tensor where oneDNN offers no kernel for these shapes (e.g. bfloat16 on
/// a CPU without it): the caller then computes attention the plain way.
at::Tensor blocked_attention(const at::Tensor& qkv, std::int64_t heads, double scale);

}  // namespace muse::nn
