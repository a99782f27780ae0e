// LFoV samples (the MUSE paper's large field of view): an annotated region grown to a larger
// square of the slide at the model's MPP, the region placed at a uniformly random offset inside
// it, so the model sees the unlabelled tissue around what the user labelled.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include <ATen/core/Tensor.h>

#include "detect/tile_plan.hpp"
#include "muse/annotations.hpp"
#include "muse/slide.hpp"
#include "train/augment.hpp"

namespace muse::train {

/// The origin of a window of `side` px on one axis of the model frame, drawn uniformly among the
/// integer origins that (1) keep the annotated span [r0, r1) inside the window, or when the span
/// is longer than `side` keep the window inside the span, and (2) keep the window inside the
/// slide's [0, extent) when the slide is at least `side` long, or cover the whole slide when it
/// is shorter. The span is first clipped to the slide. The paper's offset of the region in the
/// sample is floor(r0) - origin, uniform in [0, side - span] when nothing clips.
std::int64_t place_window(double r0, double r1, int side, std::int64_t extent, std::mt19937_64& rng);

struct LfovOptions {
    int sample_px = 1024;   ///< sample side at the model's MPP (multiple of 32); smaller when the slide is
    bool lfov = true;       ///< false: the sample is just the region's square (the "no LFoV" baseline)
    int stride_px = 8;      ///< proposal stride of the model
    AugmentOptions augment; ///< flips, quarter turns, colour jitter (tile_px and scale jitter unused)
};

/// One training sample: pixels, the region's nuclei, and which proposals lie in the region.
struct LfovSample {
    at::Tensor rgb;                     ///< uint8 [S, S, 3] at the model's MPP
    std::vector<LabelledPoint> nuclei;  ///< sample pixels: the region's nuclei (after augmentation)
    at::Tensor in_region;               ///< bool [(S / stride)^2], row-major over the proposal grid
    std::int64_t u0 = 0, v0 = 0;        ///< model-frame top-left of the sample (before augmentation)
    int side = 0;                       ///< S
};

/// The sample side for a region: `sample_px` (or the region's own square, rounded up to 32, when
/// options.lfov is false), no larger than the slide rounded up to 32.
int lfov_side(const detect::TilePlan& plan, const SlideSource& slide, const AnnotatedRegion& region,
              const LfovOptions& options);

/// A random sample around `region` of `slide`, read through the detection tile reader with
/// `plan` (reading_plan of the slide at the model's MPP; its tile_px is replaced by the side).
/// `augment` = false gives the plain sample (used to cache features once).
LfovSample make_lfov_sample(const SlideSource& slide, const detect::TilePlan& plan, const AnnotatedRegion& region,
                            const LfovOptions& options, std::mt19937_64& rng, bool augment = true);

}  // namespace muse::train
