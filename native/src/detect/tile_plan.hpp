// Where the tiles of a whole-slide detection lie, and how their pixels are read.
//
// Frames: level-0 slide pixels (X, Y), and the model frame (U, V): the slide resampled to the
// model's MPP, s = model mpp / slide mpp level-0 pixels per model pixel, pixel centres mapping
// onto pixel centres: X = (U + 0.5) s - 0.5. This is the one place that converts between them.
// Tiles are tile_px squares of the model frame; their inner cores (tile minus a margin on each
// side) tile the region without gaps or overlap, and each tile owns the proposals in its core.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "muse/image.hpp"
#include "muse/slide.hpp"

namespace muse::detect {

struct PlannedTile {
    int col = 0, row = 0;        ///< position in the grid of cores
    std::int64_t u0 = 0, v0 = 0; ///< model-frame top-left of the whole tile (margin included)
};

struct TilePlan {
    int level = 0;              ///< pyramid level the pixels are read from
    double s = 1.0;             ///< level-0 pixels per model pixel
    double r = 1.0;             ///< level pixels per model pixel
    int tile_px = 0, margin_px = 0, core_px = 0;
    int cols = 0, rows = 0;     ///< grid of cores over the region
    std::int64_t grid_u0 = 0, grid_v0 = 0;  ///< model-frame top-left of the first core
    std::vector<PlannedTile> tiles;         ///< the tiles to process (tissue / region filtered), row-major

    double to_level0(double u) const { return (u + 0.5) * s - 0.5; }
    double to_model(double x) const { return (x + 0.5) / s - 0.5; }
    /// Core of a tile in the model frame: [cu0, cu0 + core_px) x [cv0, cv0 + core_px).
    std::int64_t core_u0(const PlannedTile& t) const { return t.u0 + margin_px; }
    std::int64_t core_v0(const PlannedTile& t) const { return t.v0 + margin_px; }
};

struct TilePlanOptions {
    double model_mpp = 0.5;
    double slide_mpp = 0.5;
    int tile_px = 512;     ///< multiple of 32
    int margin_px = 32;    ///< multiple of the proposal stride, < tile_px / 2
    int stride_px = 8;     ///< proposal stride: cores and margins are multiples of it
    /// Level-0 rectangle to cover [x0, x1) x [y0, y1); empty (x1 <= x0) = the whole slide.
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

/// Level-to-model factors within this fraction of an integer are read as that integer (the
/// plan's scale s snapped accordingly).
constexpr double kIntegerFactorTolerance = 0.01;

/// A plan without tiles: the level to read and the scales for tiles of `tile_px` (the caller
/// places its own PlannedTile windows, e.g. fine-tuning samples around annotated regions).
TilePlan reading_plan(const SlideSource& slide, double model_mpp, double slide_mpp, int tile_px);

/// The grid of tiles covering the region. `keep(level-0 core rectangle)` decides which tiles
/// are processed (tissue, region of interest); pass nullptr to keep every tile.
TilePlan plan_tiles(const SlideSource& slide, const TilePlanOptions& options,
                    const std::function<bool(double x0, double y0, double x1, double y1)>& keep);

/// The tile's pixels at the model's MPP: read from plan.level and resampled exactly (block
/// averages for integer factors, anti-aliased cubic interpolation otherwise). uint8 RGB,
/// tile_px x tile_px; outside the slide is white.
RgbImage read_tile(const SlideSource& slide, const TilePlan& plan, const PlannedTile& tile);

}  // namespace muse::detect
