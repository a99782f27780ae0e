// The per-model bfloat16 weight copies and the thread's current set (nn/bf16_weights.hpp).
#include "nn/bf16_weights.hpp"

#include <mutex>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

namespace muse::nn {

namespace {
thread_local Bf16Weights* current = nullptr;
}  // namespace

at::Tensor Bf16Weights::get(const at::Tensor& weight) {
    {
        std::shared_lock<std::shared_mutex> read(mutex_);
        auto it = copies_.find(weight.unsafeGetTensorImpl());
        if (it != copies_.end()) return it->second.second;
    }
    // Without autograd, yet a plain tensor rather than an inference one: a frozen network's
    // backward to its input (the stain fit) saves the weights it computed with.
    at::NoGradGuard no_grad;
    at::Tensor copy = weight.to(at::kBFloat16);  // keeps the memory format (channels-last convolutions)
    std::unique_lock<std::shared_mutex> write(mutex_);
    // Two threads may both have made a copy: the first stored wins, both return it.
    auto inserted = copies_.emplace(weight.unsafeGetTensorImpl(), std::make_pair(weight, std::move(copy)));
    return inserted.first->second.second;
}

std::size_t Bf16Weights::size() const {
    std::shared_lock<std::shared_mutex> read(mutex_);
    return copies_.size();
}

UseBf16Weights::UseBf16Weights(Bf16Weights& weights) : previous_(current) { current = &weights; }
UseBf16Weights::~UseBf16Weights() { current = previous_; }

at::Tensor weight_for_pass(const at::Tensor& weight) {
    if (current == nullptr || !weight.defined()) return weight;
    return current->get(weight);
}

}  // namespace muse::nn
