// A linear layer over tokens for float32 inference on one oneDNN matrix product, its weights
// reordered once into the kernel's own layout and GELU or the residual sum done in the product.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include <ATen/core/Tensor.h>

namespace muse::nn {

/// What the product does to its result before writing it.
enum class LinearThen { Nothing, Gelu, AddResidual };

/// y = x W^T + b on tokens x [B, N, C_in], then exact (erf) GELU or + residual [B, N, C_out].
/// LibTorch's route, a 1x1 convolution (vit.cpp), has oneDNN reorder the weights on every call
/// and runs GELU and the residual sum as passes over memory of their own; this one keeps the
/// reordered weights and fuses both: measured 1.26-1.39x faster per linear at 197 tokens.
/// One object per layer. The reordered weights follow the layer's: a changed weight tensor
/// (another tensor, or the same one modified in place, e.g. by training) is reordered again.
/// Memory: the reordered copy is as large as the weights (ViT-S 85 MB, ViT-B 340 MB).
class PackedLinear {
public:
    PackedLinear();
    ~PackedLinear();
    PackedLinear(const PackedLinear&) = delete;
    PackedLinear& operator=(const PackedLinear&) = delete;

    /// Whether it can compute this pass: float32 tokens on the CPU, contiguous, nothing to
    /// differentiate, autocast off (bfloat16 passes keep LibTorch's route), and not switched
    /// off with MUSE_PACKED_LINEAR=0 in the environment (kept for speed comparisons).
    static bool applies(const at::Tensor& x, const at::Tensor& weight);

    /// The result [B, N, C_out]; an undefined tensor where oneDNN has no kernel for these shapes
    /// (the caller then computes it LibTorch's way).
    at::Tensor operator()(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, LinearThen then,
                          const at::Tensor& residual = {}) const;

private:
    struct Plan;
    std::shared_ptr<const Plan> plan_for(std::int64_t rows, LinearThen then, const at::Tensor& weight) const;

    mutable std::mutex mutex_;
    mutable std::map<std::pair<std::int64_t, int>, std::shared_ptr<const Plan>> plans_;  ///< by (rows, then)
    /// The weights the plans were reordered from, held so that no other tensor can take their
    /// address, with their data address and version counter at the time.
    mutable at::Tensor weight_;
    mutable const void* weight_data_ = nullptr;
    mutable std::int64_t weight_version_ = -1;
};

}  // namespace muse::nn
