// Seam merge: tiles hand in the candidates they own (threshold passed, model frame) as they
// finish; each nucleus comes out once, exactly as if the region had been one large tile.
//
// The rule is the one of decode.hpp: a candidate is kept when no candidate within the radius
// outranks it. Candidates farther than the radius from their core's border only have
// neighbours in their own tile and are decided at once; the others wait until the tiles around
// theirs are done. Only a band of 2 radii along the cores' borders is held, for tiles whose
// neighbourhood is not finished, so memory does not grow with the slide.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "muse/detection.hpp"

namespace muse::detect {

class SeamMerger {
public:
    using Emit = std::function<void(Detection&&)>;

    /// A grid of `cols` x `rows` cores of `core_px` model pixels starting at (grid_u0, grid_v0).
    /// `planned[row * cols + col]` is false for tiles that will never be added (no tissue):
    /// they count as done and empty. Requires radius_px < core_px / 2.
    SeamMerger(int cols, int rows, std::int64_t grid_u0, std::int64_t grid_v0, int core_px, double radius_px,
               std::vector<char> planned, Emit emit);

    /// Tile (col, row) is done; `candidates` are the ones it owns, in the model frame.
    void add(int col, int row, std::vector<Detection> candidates);

    /// Number of candidates still held (for tests and memory checks).
    std::size_t held() const;

private:
    struct TileState {
        bool done = false;
        bool decided = false;       ///< its border candidates have been decided
        std::vector<Detection> band;     ///< candidates within 2 radii of the core border
        std::vector<Detection> pending;  ///< candidates within 1 radius, not decided yet
    };
    TileState* at(int col, int row);
    bool neighbourhood_done(int col, int row);
    void decide(int col, int row);
    void release(int col, int row);
    double inset(const Detection& d, int col, int row) const;  ///< distance inside the core (negative outside)

    int cols_, rows_;
    std::int64_t u0_, v0_;
    int core_;
    double radius_;
    std::vector<TileState> tiles_;
    Emit emit_;
};

}  // namespace muse::detect
