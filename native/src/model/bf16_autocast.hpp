// bfloat16 autocast on the calling thread, for the network's part of a pass (inference and
// training alike); the settings are thread-local and restored when the scope ends.
//
//   { model::Bf16Autocast autocast; dense = net->forward(x).dense; }   // convolutions in bf16
//
// Convolutions and matrix products run in bfloat16 on oneDNN's AVX512-BF16 / AMX kernels;
// operations LibTorch's CPU autocast does not list run in their inputs' type (so the ViT
// attention's softmax runs in bfloat16, with float32 accumulation inside the kernel). Autocast's
// own cast cache stays off: it is keyed by tensor address and could hand a freed model's copy to
// a new tensor at the same address (inference keeps its copies in nn::Bf16Weights instead;
// training casts per pass, its weights changing every step). Gradients flow through the casts,
// so a backward pass runs in bfloat16 where the forward did and reaches float32 leaves.
#pragma once

#include <ATen/autocast_mode.h>

namespace muse::model {

class Bf16Autocast {
public:
    Bf16Autocast();
    ~Bf16Autocast();
    Bf16Autocast(const Bf16Autocast&) = delete;
    Bf16Autocast& operator=(const Bf16Autocast&) = delete;

private:
    bool enabled_;
    at::ScalarType dtype_;
    bool cache_;
};

}  // namespace muse::model
