// Thresholding and grid-hashed local-maximum suppression.
#include "detect/decode.hpp"

#include <cmath>
#include <cstdint>
#include <unordered_map>

#include <ATen/ATen.h>

namespace muse::detect {

bool outranks(const Detection& a, const Detection& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.y != b.y) return a.y < b.y;
    return a.x < b.x;
}

std::vector<Detection> suppress_duplicates(std::vector<Detection> candidates, double radius_px) {
    if (candidates.size() < 2 || radius_px <= 0.0) return candidates;
    const double cell = radius_px;
    auto key = [](std::int64_t cx, std::int64_t cy) {
        return static_cast<std::uint64_t>(cx) * 0x9E3779B97F4A7C15ull ^ static_cast<std::uint64_t>(cy);
    };
    std::unordered_map<std::uint64_t, std::vector<int>> grid;
    for (int i = 0; i < static_cast<int>(candidates.size()); ++i) {
        grid[key(static_cast<std::int64_t>(std::floor(candidates[i].x / cell)),
                 static_cast<std::int64_t>(std::floor(candidates[i].y / cell)))]
            .push_back(i);
    }
    std::vector<Detection> kept;
    for (int i = 0; i < static_cast<int>(candidates.size()); ++i) {
        const Detection& c = candidates[i];
        const auto cx = static_cast<std::int64_t>(std::floor(c.x / cell));
        const auto cy = static_cast<std::int64_t>(std::floor(c.y / cell));
        bool best = true;
        for (std::int64_t dy = -1; dy <= 1 && best; ++dy) {
            for (std::int64_t dx = -1; dx <= 1 && best; ++dx) {
                auto it = grid.find(key(cx + dx, cy + dy));
                if (it == grid.end()) continue;
                for (int j : it->second) {
                    if (j == i) continue;
                    const Detection& o = candidates[j];
                    if (std::hypot(o.x - c.x, o.y - c.y) <= radius_px && outranks(o, c)) {
                        best = false;
                        break;
                    }
                }
            }
        }
        if (best) kept.push_back(c);
    }
    return kept;
}

ScoreThresholds thresholds_for(const DetectionConfig& d, double override_threshold) {
    if (override_threshold > 0) return ScoreThresholds(override_threshold);
    return ScoreThresholds(d.score_threshold, d.class_score_thresholds);
}

std::vector<Detection> candidates_of(const at::Tensor& points, const at::Tensor& probs, const ScoreThresholds& score_threshold,
                                     int tile_px, int stride_px, int core_margin_px) {
    const at::Tensor pts = points.to(at::kFloat).contiguous();
    const at::Tensor pr = probs.to(at::kFloat).contiguous();
    const std::int64_t n = pr.size(0), k = pr.size(1) - 1;  // last column: background
    const float* p = pts.data_ptr<float>();
    const float* q = pr.data_ptr<float>();
    const std::int64_t side = stride_px > 0 ? tile_px / stride_px : 0;
    std::vector<Detection> candidates;
    for (std::int64_t i = 0; i < n; ++i) {
        if (core_margin_px > 0) {
            // Proposal (col, row) sits at ((col + 0.5) stride, (row + 0.5) stride).
            const double gx = (static_cast<double>(i % side) + 0.5) * stride_px;
            const double gy = (static_cast<double>(i / side) + 0.5) * stride_px;
            const double lo = core_margin_px, hi = static_cast<double>(tile_px - core_margin_px);
            if (gx < lo || gx >= hi || gy < lo || gy >= hi) continue;
        }
        const float* row = q + i * (k + 1);
        int best = 0;
        for (int c = 1; c < k; ++c) {
            if (row[c] > row[best]) best = c;
        }
        if (row[best] < score_threshold.of(best)) continue;
        Detection d;
        d.x = p[2 * i];
        d.y = p[2 * i + 1];
        d.class_index = best;
        d.score = row[best];
        d.probabilities.assign(row, row + k);
        candidates.push_back(std::move(d));
    }
    return candidates;
}

std::vector<Detection> decode_proposals(const at::Tensor& points, const at::Tensor& probs, const ScoreThresholds& score_threshold,
                                        double radius_px) {
    return suppress_duplicates(candidates_of(points, probs, score_threshold), radius_px);
}

}  // namespace muse::detect
