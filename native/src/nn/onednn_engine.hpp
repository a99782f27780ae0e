// What muse's direct oneDNN calls (Winograd convolutions, packed linears, blocked attention)
// share: the one CPU engine their primitives and memories live on, and the environment switch
// that turns each of them off for speed comparisons.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

namespace muse::nn {

const dnnl::engine& onednn_cpu_engine();

/// Whether the environment variable `name` is "0": the fast path it names is switched off and
/// LibTorch's route runs instead (MUSE_WINOGRAD, MUSE_PACKED_LINEAR, MUSE_BLOCKED_ATTENTION).
bool onednn_path_switched_off(const char* name);

}  // namespace muse::nn
