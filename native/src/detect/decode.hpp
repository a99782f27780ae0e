// From a tile's proposals (points and class probabilities) to nuclei: score threshold, then
// suppression of duplicates within a radius.
#pragma once

#include <vector>

#include <ATen/core/Tensor.h>

#include "muse/detection.hpp"
#include "muse/model.hpp"

namespace muse::detect {

/// The probability a proposal's best class needs: one value for every class, or one per class.
struct ScoreThresholds {
    ScoreThresholds(double all_classes = 0.5) : all(all_classes) {}  // NOLINT: a single value converts
    ScoreThresholds(double all_classes, std::vector<double> classes) : all(all_classes), per_class(std::move(classes)) {}
    double all;
    std::vector<double> per_class;  ///< empty: `all` for every class
    double of(int c) const { return per_class.empty() ? all : per_class[static_cast<std::size_t>(c)]; }
};

/// What to decode with: `override` (> 0, a user's single threshold) for every class, else the
/// model's own (its per-class thresholds when it has them).
ScoreThresholds thresholds_for(const DetectionConfig& d, double override_threshold);

/// Nuclei among one tile's proposals. `points` [N, 2] (tile px), `probs` [N, K + 1] with
/// background last. A proposal is a candidate when its best class probability reaches
/// `score_threshold`; a candidate is kept when no other candidate within `radius_px` ranks
/// higher (higher score; ties broken by position). This local rule depends only on the
/// candidates within the radius, never on the order of processing, so tiles whose margins are
/// at least the radius agree with one large tile (the seam merge relies on it).
std::vector<Detection> decode_proposals(const at::Tensor& points, const at::Tensor& probs, const ScoreThresholds& score_threshold,
                                        double radius_px);

/// The candidates among a tile's proposals (best class probability >= threshold), without
/// suppression. With `core_margin_px` > 0 only the proposals of the tile's core are taken: the
/// proposal grid of stride `stride_px` starts at the tile's corner, and a proposal belongs to
/// the tile when its grid position lies in [margin, tile - margin) on both axes.
std::vector<Detection> candidates_of(const at::Tensor& points, const at::Tensor& probs, const ScoreThresholds& score_threshold,
                                     int tile_px = 0, int stride_px = 0, int core_margin_px = 0);

/// The ranking used above: true when `a` outranks `b`.
bool outranks(const Detection& a, const Detection& b);

/// Local-maximum suppression on candidates that already passed the threshold (same rule).
std::vector<Detection> suppress_duplicates(std::vector<Detection> candidates, double radius_px);

}  // namespace muse::detect
