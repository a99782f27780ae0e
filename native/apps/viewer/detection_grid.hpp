// Detections bucketed by position, so that painting and hovering look only at those in view
// (a whole slide holds hundreds of thousands).
#pragma once

#include <cstdint>
#include <vector>

#include <QRectF>

#include "muse/detection.hpp"

namespace muse::viewer {

class DetectionGrid {
public:
    /// Buckets `detections` (level-0 pixels) into square cells; the grid never exceeds about
    /// four million cells, whatever the spread.
    void build(const std::vector<Detection>& detections);
    /// Appends to `out` the indices of the detections inside `rect` (level-0 pixels).
    void query(const QRectF& rect, const std::vector<Detection>& detections, std::vector<std::uint32_t>& out) const;

private:
    double x0_ = 0, y0_ = 0, cell_ = 256;
    int cols_ = 0, rows_ = 0;
    std::vector<std::uint32_t> order_;  // detection indices, cell by cell
    std::vector<std::uint32_t> start_;  // where each cell's run starts in order_ (cols_ * rows_ + 1)
};

}  // namespace muse::viewer
