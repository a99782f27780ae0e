// Seam merge: tiles handed in any order give exactly the detections of one large tile.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <tuple>

#include "detect/decode.hpp"
#include "detect/seam_merge.hpp"
#include "muse/errors.hpp"

namespace muse::detect {
namespace {

using Key = std::tuple<double, double, float>;

std::vector<Key> keys(const std::vector<Detection>& v) {
    std::vector<Key> k;
    for (const auto& d : v) k.emplace_back(d.x, d.y, d.score);
    std::sort(k.begin(), k.end());
    return k;
}

/// Candidates over a cols x rows grid of cores, clustered so that many sit near seams and near
/// each other (as duplicate proposals around one nucleus do).
std::vector<Detection> scene(int cols, int rows, int core, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0.0, cols * core), v(0.0, rows * core), jitter(-4.0, 4.0), s(0.3, 1.0);
    std::vector<Detection> out;
    for (int i = 0; i < 400; ++i) {
        const double cx = u(rng), cy = v(rng);
        for (int k = 0; k < 3; ++k) {
            Detection d;
            d.x = cx + jitter(rng);
            d.y = cy + jitter(rng);
            d.score = static_cast<float>(s(rng));
            out.push_back(d);
        }
    }
    // Many right on the seams.
    for (int i = 1; i < cols; ++i) {
        for (int k = 0; k < 20; ++k) {
            Detection d;
            d.x = i * core - 0.5 + jitter(rng) / 4;
            d.y = v(rng);
            d.score = static_cast<float>(s(rng));
            out.push_back(d);
        }
    }
    return out;
}

TEST(SeamMerge, TilesInAnyOrderEqualOneLargeTile) {
    const int cols = 5, rows = 4, core = 100;
    const double radius = 6.0;
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        const std::vector<Detection> all = scene(cols, rows, core, seed);
        const auto expected = keys(suppress_duplicates(all, radius));
        // Each candidate belongs to the tile whose core holds it (cores start at -0.5).
        std::vector<std::vector<Detection>> per_tile(cols * rows);
        for (const auto& d : all) {
            const int c = std::clamp(static_cast<int>(std::floor((d.x + 0.5) / core)), 0, cols - 1);
            const int r = std::clamp(static_cast<int>(std::floor((d.y + 0.5) / core)), 0, rows - 1);
            per_tile[r * cols + c].push_back(d);
        }
        std::vector<int> order(cols * rows);
        std::iota(order.begin(), order.end(), 0);
        std::shuffle(order.begin(), order.end(), std::mt19937(seed));
        std::vector<Detection> got;
        SeamMerger merger(cols, rows, 0, 0, core, radius, std::vector<char>(cols * rows, 1),
                          [&](Detection&& d) { got.push_back(d); });
        for (int t : order) merger.add(t % cols, t / cols, per_tile[t]);
        EXPECT_EQ(keys(got), expected) << "seed " << seed;
        EXPECT_EQ(merger.held(), 0u) << "everything is released once all tiles are in";
    }
}

TEST(SeamMerge, MemoryStaysInABandOfUnfinishedTiles) {
    const int cols = 40, rows = 40, core = 100;
    std::vector<Detection> all = scene(cols, rows, core, 7);
    std::vector<std::vector<Detection>> per_tile(cols * rows);
    for (const auto& d : all) {
        const int c = std::clamp(static_cast<int>(std::floor((d.x + 0.5) / core)), 0, cols - 1);
        const int r = std::clamp(static_cast<int>(std::floor((d.y + 0.5) / core)), 0, rows - 1);
        per_tile[r * cols + c].push_back(d);
    }
    std::size_t most = 0, emitted = 0;
    SeamMerger merger(cols, rows, 0, 0, core, 6.0, std::vector<char>(cols * rows, 1), [&](Detection&&) { ++emitted; });
    for (int t = 0; t < cols * rows; ++t) {  // raster order, as the pipeline mostly goes
        merger.add(t % cols, t / cols, per_tile[t]);
        most = std::max(most, merger.held());
    }
    EXPECT_LT(most, all.size() / 10) << "at most about two rows of bands are held";
    EXPECT_GT(emitted, 0u);
}

TEST(SeamMerge, UnplannedTilesCountAsEmptyAndBadUseIsRefused) {
    std::vector<Detection> got;
    std::vector<char> planned = {1, 0, 0, 1};
    SeamMerger merger(2, 2, 0, 0, 100, 6.0, planned, [&](Detection&& d) { got.push_back(d); });
    Detection d;
    d.x = 99;  // on the seam with the unplanned tile (1, 0)
    d.y = 10;
    d.score = 0.9f;
    merger.add(0, 0, {d});
    EXPECT_EQ(got.size(), 0u) << "tile (1, 1) is not done yet";
    merger.add(1, 1, {});
    EXPECT_EQ(got.size(), 1u);
    EXPECT_THROW(merger.add(1, 1, {}), InvalidArgument);
    EXPECT_THROW(SeamMerger(2, 2, 0, 0, 10, 6.0, planned, nullptr), InvalidArgument);  // radius >= half a core
}

}  // namespace
}  // namespace muse::detect
