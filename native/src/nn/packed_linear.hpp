// A linear layer over tokens for inference (float32, or a bfloat16 pass) on one oneDNN matrix
// product, its weights reordered once into the kernel's own layout and GELU or the residual sum
// done in the product.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include <ATen/core/Tensor.h>

namespace muse::nn {

/// What the product does to its result before writing it.
enum class LinearThen { Nothing, Gelu, AddResidual };

/// y = x W^T + b on tokens x [B, N, C_in], then exact (erf) GELU or + residual [B, N, C_out].
/// LibTorch's route, a 1x1 convolution (vit.cpp), has oneDNN reorder the weights on every call
/// and runs GELU and the residual sum as passes over memory of their own; this one keeps the
/// reordered weights and fuses both: measured 1.26-1.39x faster per linear at 197 tokens in
/// float32, 1.25-2.2x in bfloat16. Under muse's bfloat16 autocast it computes as autocast
/// would (bfloat16 product and result, a residual sum in the residual's type), from weights
/// reordered straight from float32 into bfloat16. One object per layer. The reordered weights
/// follow the layer's: a changed weight tensor (another tensor, or the same one modified in
/// place, e.g. by training) is reordered again. Memory: the float32 copy is as large as the
/// weights (ViT-S 85 MB, ViT-B 340 MB), the bfloat16 one half that.
class PackedLinear {
public:
    PackedLinear();
    ~PackedLinear();
    PackedLinear(const PackedLinear&) = delete;
    PackedLinear& operator=(const PackedLinear&) = delete;

    /// Whether it can compute this pass: float32 tokens (or float32/bfloat16 ones under muse's
    /// bfloat16 autocast; no other autocast) on the CPU, contiguous, float32 weights, nothing
    /// to differentiate, and not switched off with MUSE_PACKED_LINEAR=0 in the environment
    /// (kept for speed comparisons).
    static bool applies(const at::Tensor& x, const at::Tensor& weight);

    /// The result [B, N, C_out]; an undefined tensor where oneDNN has no kernel for these shapes
    /// or the layer is not a plain one (no float32 bias, a residual not shaped like the result):
    /// the caller then computes it LibTorch's way.
    at::Tensor operator()(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, LinearThen then,
                          const at::Tensor& residual = {}) const;

private:
    struct Plan;
    struct PlanKey {
        std::int64_t rows;
        LinearThen then;
        at::ScalarType compute, result, residual;
        bool operator<(const PlanKey& o) const {
            return std::tie(rows, then, compute, result, residual) < std::tie(o.rows, o.then, o.compute, o.result, o.residual);
        }
    };
    std::shared_ptr<const Plan> plan_for(const PlanKey& key, const at::Tensor& weight) const;

    mutable std::mutex mutex_;
    mutable std::map<PlanKey, std::shared_ptr<const Plan>> plans_;
    /// The weights the plans were reordered from, held so that no other tensor can take their
    /// address, with their data address and version counter at the time.
    mutable at::Tensor weight_;
    mutable const void* weight_data_ = nullptr;
    mutable std::int64_t weight_version_ = -1;
};

}  // namespace muse::nn
