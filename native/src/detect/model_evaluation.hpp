// Scoring a model on labelled images, at one or several score thresholds from one pass.
#pragma once

#include <vector>

#include "muse/eval.hpp"
#include "muse/model.hpp"
#include "detect/decode.hpp"

namespace muse::detect {

/// One EvalReport per threshold in `thresholds`, from a single forward pass per image.
std::vector<EvalReport> evaluate_at_thresholds(const Model& model, const std::vector<LabelledImage>& images,
                                               const std::vector<ScoreThresholds>& thresholds, double merge_radius_um,
                                               const EvalOptions& options, const Progress& progress,
                                               bool tta = false, Precision precision = Precision::Fp32);

}  // namespace muse::detect
