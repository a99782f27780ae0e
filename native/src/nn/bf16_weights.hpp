// bfloat16 copies of a model's weights, made once and reused by every bfloat16 pass.
//
// Under CPU autocast LibTorch casts every weight to bfloat16 on every call. Its own cast cache
// is thread-local and keyed by tensor address, so it could hand a freed model's copy to a new
// tensor at the same address: we keep it off (model.cpp). Instead a Model owns one
// Bf16Weights; Model::forward makes it current on the calling thread for a bfloat16 pass, and
// the layers that hold nearly all of the weights (folded convolutions, the ViT's linears) ask
// weight_for_pass() for theirs. Measured: casting per pass cost the ViT at 224 px, batch 1, a
// fifth of its bfloat16 time (docs/performance.md).
#pragma once

#include <cstddef>
#include <shared_mutex>
#include <unordered_map>
#include <utility>

#include <ATen/core/Tensor.h>

namespace muse::nn {

class Bf16Weights {
public:
    /// The bfloat16 copy of `weight` (same shape and memory format), made on the first request
    /// and reused after. The entry keeps `weight` alive, so its address cannot be reused by
    /// another tensor while this cache exists. Thread-safe.
    at::Tensor get(const at::Tensor& weight);

    std::size_t size() const;  ///< how many weights have a copy

private:
    mutable std::shared_mutex mutex_;
    std::unordered_map<const c10::TensorImpl*, std::pair<at::Tensor, at::Tensor>> copies_;  // original, copy
};

/// Makes `weights` current on this thread while alive; restores the previous one after.
class UseBf16Weights {
public:
    explicit UseBf16Weights(Bf16Weights& weights);
    ~UseBf16Weights();
    UseBf16Weights(const UseBf16Weights&) = delete;
    UseBf16Weights& operator=(const UseBf16Weights&) = delete;

private:
    Bf16Weights* previous_;
};

/// The tensor a layer computes with: the bfloat16 copy of `weight` while a Bf16Weights is
/// current on this thread, else `weight` itself (float32 passes, training). An undefined
/// tensor (a layer without bias) is returned as is.
at::Tensor weight_for_pass(const at::Tensor& weight);

}  // namespace muse::nn
