// The one oneDNN CPU engine that muse's direct oneDNN calls (Winograd convolutions, blocked
// attention) create their primitives and memories on.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

namespace muse::nn {

const dnnl::engine& onednn_cpu_engine();

}  // namespace muse::nn
