// Flip averaging of proposals (see the header).
#include "detect/flip_averaging.hpp"

#include <cmath>
#include <vector>

#include <ATen/ATen.h>

namespace muse::detect {

Proposals predict_with_flips(const Model& model, const at::Tensor& rgb, Precision precision) {
    Proposals sum = model.predict(rgb, precision);
    const std::int64_t b = rgb.size(0), tile = rgb.size(1);
    const std::int64_t n = sum.points.size(1), side = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(n))));
    // Proposal i sits in grid row i / side, column i % side: as [B, row, column, D] the grid
    // mirrors along the same dimensions (1, 2) as the [B, H, W, 3] tiles.
    auto as_grid = [&](const at::Tensor& t) { return t.reshape({b, side, side, t.size(2)}); };
    at::Tensor points = sum.points.clone(), probs = sum.probs.clone(), dense = sum.dense_map.clone();
    const std::vector<std::vector<std::int64_t>> flips = {{2}, {1}, {1, 2}};  // W, H, both
    for (const auto& dims : flips) {
        const Proposals p = model.predict(at::flip(rgb, dims).contiguous(), precision);
        at::Tensor pts = at::flip(as_grid(p.points), dims).reshape({b, n, 2}).clone();
        for (std::int64_t d : dims) {
            at::Tensor coord = pts.select(2, d == 2 ? 0 : 1);  // W flips x, H flips y
            coord.mul_(-1.0).add_(static_cast<double>(tile - 1));
        }
        points.add_(pts);
        probs.add_(at::flip(as_grid(p.probs), dims).reshape(probs.sizes()));
        std::vector<std::int64_t> dense_dims;  // dense map [B, C, h, w]: H -> 2, W -> 3
        for (std::int64_t d : dims) dense_dims.push_back(d + 1);
        dense.add_(at::flip(p.dense_map, dense_dims));
    }
    const double k = 1.0 + static_cast<double>(flips.size());
    return {dense.div_(k), points.div_(k), probs.div_(k)};
}

Proposals predict_tiles(const Model& model, const at::Tensor& rgb, bool flips, Precision precision) {
    return flips ? predict_with_flips(model, rgb, precision) : model.predict(rgb, precision);
}

}  // namespace muse::detect
