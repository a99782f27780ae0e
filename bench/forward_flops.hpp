// Analytic FLOP count of one MUSE forward pass (convolutions and matrix products only;
// element-wise work such as norms, activations and resampling is not counted).
#pragma once

#include <cstdint>
#include <string>

namespace muse::bench {

/// FLOPs (multiply and add counted separately) for one tile of side `side` px.
double forward_flops(const std::string& arch, std::int64_t side);

}  // namespace muse::bench
