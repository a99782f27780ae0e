// What muse's direct oneDNN calls (Winograd convolutions, packed linears, blocked attention)
// share: the one CPU engine their primitives and memories live on, the byte buffers they hand
// it, and the environment switch that turns each of them off for speed comparisons.
#pragma once

#include <cstddef>

#include <ATen/core/Tensor.h>
#include <oneapi/dnnl/dnnl.hpp>

namespace muse::nn {

const dnnl::engine& onednn_cpu_engine();

/// `bytes` (at least one) of LibTorch-allocated memory for oneDNN: reordered weights, layout
/// copies, scratch pads.
at::Tensor onednn_byte_buffer(std::size_t bytes);

/// Whether the environment variable `name` is "0": the fast path it names is switched off and
/// LibTorch's route runs instead (MUSE_WINOGRAD, MUSE_PACKED_LINEAR, MUSE_BLOCKED_ATTENTION).
bool onednn_path_switched_off(const char* name);

}  // namespace muse::nn
