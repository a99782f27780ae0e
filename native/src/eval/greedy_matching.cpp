// MCSpatNet's greedy point matching (its published BRCA-M2C evaluation): the literature's
// numbers on this data set use it, so ours must be able to, next to the optimal matching.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <unordered_map>

#include "muse/errors.hpp"
#include "muse/eval.hpp"

namespace muse {

std::vector<std::pair<int, int>> match_points_greedy(const std::vector<Point>& truth,
                                                     const std::vector<Point>& predictions, double radius_px) {
    if (!(radius_px >= 0.0) || !std::isfinite(radius_px)) {
        throw InvalidArgument("matching radius must be a finite number >= 0, got " + std::to_string(radius_px));
    }
    std::vector<std::pair<int, int>> matches;
    if (truth.empty() || predictions.empty() || radius_px == 0.0) return matches;
    // Predictions hashed into cells of the radius' size; a reference point looks in 3x3 cells.
    const double cell = radius_px;
    auto key = [](std::int64_t cx, std::int64_t cy) {
        return static_cast<std::uint64_t>(cx) * 0x9E3779B97F4A7C15ull ^ static_cast<std::uint64_t>(cy);
    };
    std::unordered_map<std::uint64_t, std::vector<int>> grid;
    for (int j = 0; j < static_cast<int>(predictions.size()); ++j) {
        grid[key(static_cast<std::int64_t>(std::floor(predictions[j].x / cell)),
                 static_cast<std::int64_t>(std::floor(predictions[j].y / cell)))]
            .push_back(j);
    }
    // MCSpatNet visits the reference points as numpy.where lists a dot map: row by row.
    std::vector<int> order(truth.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return truth[a].y != truth[b].y ? truth[a].y < truth[b].y : truth[a].x < truth[b].x;
    });
    std::vector<char> used(predictions.size(), 0);
    for (int i : order) {
        const auto cx = static_cast<std::int64_t>(std::floor(truth[i].x / cell));
        const auto cy = static_cast<std::int64_t>(std::floor(truth[i].y / cell));
        int best = -1;
        double best_d = std::numeric_limits<double>::infinity();
        for (std::int64_t dy = -1; dy <= 1; ++dy) {
            for (std::int64_t dx = -1; dx <= 1; ++dx) {
                auto it = grid.find(key(cx + dx, cy + dy));
                if (it == grid.end()) continue;
                for (int j : it->second) {
                    if (used[j]) continue;
                    const double d = std::hypot(truth[i].x - predictions[j].x, truth[i].y - predictions[j].y);
                    // Strictly inside, as a KD-tree query with distance_upper_bound; ties go to
                    // the lower index so that the result does not depend on hashing.
                    if (d < radius_px && (d < best_d || (d == best_d && j < best))) {
                        best = j;
                        best_d = d;
                    }
                }
            }
        }
        if (best >= 0) {
            used[best] = 1;
            matches.emplace_back(i, best);
        }
    }
    std::sort(matches.begin(), matches.end());
    return matches;
}

}  // namespace muse
