// A detected nucleus: where, which class, how sure.
//
//   for (const muse::Detection& d : nuclei) {
//       std::printf("%.1f %.1f %s %.2f\n", d.x, d.y, classes[d.class_index].name.c_str(), d.score);
//   }
//
// Thread-safety: plain values.
#pragma once

#include <vector>

namespace muse {

struct Detection {
    double x = 0.0;         ///< pixels; the frame is the producing function's (tile or level-0)
    double y = 0.0;
    int class_index = 0;    ///< index into the model's classes
    float score = 0.0f;     ///< probability of that class
    std::vector<float> probabilities;  ///< one per class (background excluded), same order
};

}  // namespace muse
