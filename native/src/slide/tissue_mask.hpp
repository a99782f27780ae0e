// A coarse map of where tissue is, so that whole-slide detection skips empty glass.
#pragma once

#include <cstdint>
#include <vector>

#include "muse/geometry.hpp"
#include "muse/slide.hpp"

namespace muse::slide {

struct TissueMask {
    int width = 0;                 ///< mask pixels
    int height = 0;
    double level0_per_px = 1.0;    ///< level-0 pixels per mask pixel
    std::vector<std::uint8_t> on;  ///< row-major, 1 = tissue

    /// True when any mask pixel overlapping the level-0 rectangle [x0, x1) x [y0, y1) is tissue.
    bool any(double x0, double y0, double x1, double y1) const;
    /// Fraction of the mask that is tissue.
    double fraction() const;
    /// Tissue inside the level-0 rectangle [x0, x1) x [y0, y1), and inside one of `regions` when
    /// there are any, in level-0 pixels squared: mask pixels counted by their centres. The mask
    /// is grown by one pixel (see compute_tissue_mask), so this errs on the large side by about
    /// one mask pixel (8 um) around each piece of tissue.
    double tissue_area_px2(double x0, double y0, double x1, double y1, const std::vector<Polygon>& regions) const;
};

/// The mask pixel size detection and adaptation use, um: a 256 px tile at 0.5 um/px spans 16
/// mask pixels, and the whole mask of a large slide is read in seconds.
constexpr double kTissueMaskPixelUm = 8.0;

/// Tissue is what is coloured (HSV saturation above 0.07) and not near-white glass (value
/// below 0.92), read from the coarsest pyramid level that is at least as fine as
/// `level0_per_px` and averaged down to it, then grown by one mask pixel so that nuclei at
/// the edge of tissue are kept. Reads big levels in chunks (memory stays small).
TissueMask compute_tissue_mask(const SlideSource& slide, double level0_per_px);

}  // namespace muse::slide
