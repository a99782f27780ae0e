// Points and polygons in pixel frames: the values that travel between the model, the
// annotation readers, evaluation, region selection and the writers.
//
//   muse::Point p{12.5, 40.0};                       // x = column, y = row
//   muse::LabelledPoint n{12.5, 40.0, 1};            // class 1 of the model's class list
//   muse::Polygon roi{{{0, 0}, {100, 0}, {100, 80}, {0, 80}}, {}};   // roi.contains(5, 5)
//
// Thread-safety: plain values.
#pragma once

#include <vector>

namespace muse {

/// A position in pixels; x = column, y = row. Which pixel frame is meant is stated by each
/// function that takes one (tile pixels, image pixels, or level-0 slide pixels).
struct Point {
    double x = 0.0;
    double y = 0.0;
};

/// A nucleus position with its class: an index into the model's (or dataset's) class list.
struct LabelledPoint {
    double x = 0.0;
    double y = 0.0;
    int class_index = 0;
};

/// A polygon with holes (rings are closed implicitly: the last point joins the first).
struct Polygon {
    std::vector<Point> outer;
    std::vector<std::vector<Point>> holes;

    /// Inside the outer ring and in no hole (even-odd rule; points on an edge may go either way).
    bool contains(double x, double y) const;
    /// Bounding box of the outer ring: x0, y0, x1, y1 (all 0 for an empty polygon).
    void bounds(double& x0, double& y0, double& x1, double& y1) const;
};

}  // namespace muse
