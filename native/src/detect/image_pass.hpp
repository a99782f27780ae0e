// One forward pass of a model over a whole in-memory image, and what can be read from it:
// detections at any threshold, class probabilities at given points.
#pragma once

#include <vector>

#include <ATen/core/Tensor.h>

#include "muse/detection.hpp"
#include "muse/geometry.hpp"
#include "muse/image.hpp"
#include "muse/model.hpp"
#include "detect/decode.hpp"

namespace muse::detect {

struct ImagePass {
    Proposals proposals;   ///< batch of one, tile pixels
    int tile_px = 0;       ///< side of the padded square tile
    int width = 0;         ///< the image's size at the model's MPP (the tile's unpadded part)
    int height = 0;
    double scale = 1.0;    ///< model px per image px (image mpp / model mpp)
};

/// Resamples `image` (at `mpp`) to the model's MPP, pads it by reflection to a square whose
/// side is a multiple of 32, and runs Model::predict on it (averaged over flips with `tta`).
ImagePass run_on_image(const Model& model, const RgbImage& image, double mpp, bool tta = false,
                       Precision precision = Precision::Fp32);

/// Detections of the pass in image pixels (threshold, then duplicate suppression within
/// `merge_radius_um`), dropping any that lie in the padding.
std::vector<Detection> detections_of(const ImagePass& pass, const ScoreThresholds& score_threshold, double merge_radius_um,
                                     double model_mpp);

/// The class (argmax over the nucleus classes) that H_type gives at each of `points` (image
/// pixels).
std::vector<int> classes_at(const Model& model, const ImagePass& pass, const std::vector<LabelledPoint>& points);

}  // namespace muse::detect
