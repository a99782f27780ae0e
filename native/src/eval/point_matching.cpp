// Radius-bounded one-to-one point matching: neighbours through a grid hash, then the Hungarian
// method on each connected group of points that can reach each other.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <unordered_map>

#include "eval/hungarian.hpp"
#include "muse/errors.hpp"
#include "muse/eval.hpp"

namespace muse {
namespace {

struct DisjointSets {
    explicit DisjointSets(int n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
    int find(int i) {
        while (parent[i] != i) i = parent[i] = parent[parent[i]];
        return i;
    }
    void join(int a, int b) { parent[find(a)] = find(b); }
    std::vector<int> parent;
};

/// Hash of a grid cell. Two cells may share a key: that only adds candidates, and every
/// candidate's distance is checked.
std::uint64_t cell_key(std::int64_t cx, std::int64_t cy) {
    return static_cast<std::uint64_t>(cx) * 0x9E3779B97F4A7C15ull ^ static_cast<std::uint64_t>(cy);
}

}  // namespace

std::vector<std::pair<int, int>> match_points(const std::vector<Point>& a, const std::vector<Point>& b,
                                              double radius_px) {
    if (!(radius_px >= 0.0) || !std::isfinite(radius_px)) {
        throw InvalidArgument("matching radius must be a finite number >= 0, got " + std::to_string(radius_px));
    }
    std::vector<std::pair<int, int>> matches;
    if (a.empty() || b.empty()) return matches;
    // Candidate pairs: b's points hashed into cells of the radius' size, a's look in 3x3 cells.
    const double cell = std::max(radius_px, 1e-9);
    std::unordered_map<std::uint64_t, std::vector<int>> grid;
    for (int j = 0; j < static_cast<int>(b.size()); ++j) {
        grid[cell_key(static_cast<std::int64_t>(std::floor(b[j].x / cell)), static_cast<std::int64_t>(std::floor(b[j].y / cell)))]
            .push_back(j);
    }
    struct Edge {
        int i, j;
        double d;
    };
    std::vector<Edge> edges;
    const int na = static_cast<int>(a.size());
    DisjointSets sets(na + static_cast<int>(b.size()));  // a's points first, then b's
    for (int i = 0; i < na; ++i) {
        const auto cx = static_cast<std::int64_t>(std::floor(a[i].x / cell));
        const auto cy = static_cast<std::int64_t>(std::floor(a[i].y / cell));
        for (std::int64_t dy = -1; dy <= 1; ++dy) {
            for (std::int64_t dx = -1; dx <= 1; ++dx) {
                auto it = grid.find(cell_key(cx + dx, cy + dy));
                if (it == grid.end()) continue;
                for (int j : it->second) {
                    const double d = std::hypot(a[i].x - b[j].x, a[i].y - b[j].y);
                    if (d > radius_px) continue;
                    edges.push_back({i, j, d});
                    sets.join(i, na + j);
                }
            }
        }
    }
    // Each group of mutually reachable points is an independent assignment problem.
    std::unordered_map<int, std::vector<const Edge*>> groups;
    for (const Edge& e : edges) groups[sets.find(e.i)].push_back(&e);
    for (auto& [root, group] : groups) {
        std::unordered_map<int, int> row_of, col_of;
        std::vector<int> rows, cols;
        for (const Edge* e : group) {
            if (row_of.emplace(e->i, static_cast<int>(rows.size())).second) rows.push_back(e->i);
            if (col_of.emplace(e->j, static_cast<int>(cols.size())).second) cols.push_back(e->j);
        }
        if (group.size() == 1) {
            matches.emplace_back(group[0]->i, group[0]->j);
            continue;
        }
        // Non-edges cost more than any set of real pairs can, so the assignment first takes as
        // many real pairs as possible, then the shortest ones.
        const double forbidden = radius_px * static_cast<double>(std::min(rows.size(), cols.size()) + 1) + 1.0;
        std::vector<double> cost(rows.size() * cols.size(), forbidden);
        for (const Edge* e : group) cost[static_cast<std::size_t>(row_of[e->i]) * cols.size() + col_of[e->j]] = e->d;
        for (const auto& [r, c] : eval::min_cost_pairs(cost, static_cast<int>(rows.size()), static_cast<int>(cols.size()))) {
            if (cost[static_cast<std::size_t>(r) * cols.size() + c] < forbidden) matches.emplace_back(rows[r], cols[c]);
        }
    }
    std::sort(matches.begin(), matches.end());
    return matches;
}

}  // namespace muse
