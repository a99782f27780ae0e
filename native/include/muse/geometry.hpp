// Points in pixel frames, plain or with a nucleus class: the values that travel between the
// model, the annotation readers, evaluation and the writers.
//
//   muse::Point p{12.5, 40.0};                       // x = column, y = row
//   muse::LabelledPoint n{12.5, 40.0, 1};            // class 1 of the model's class list
//
// Thread-safety: plain values.
#pragma once

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

}  // namespace muse
