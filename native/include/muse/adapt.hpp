// Label-free adaptation of a model to a lab's stain and scanner: the BatchNorm statistics are
// estimated again on unlabelled tissue tiles of the lab's own slides (AdaBN, Li et al. 2016).
// No clicks, no gradients: a few dozen forward passes.
//
//   muse::AdaptSlide s{muse::open_slide("lab-slide.svs"), 0.0};
//   muse::AdaptResult r = muse::adapt_batchnorm(muse::Model::load("models/muse-default.muse"), {s}, {});
//   r.model.save("adapted.muse");
//
// Why it helps: a stain change shifts the activations' means and variances layer by layer, and
// a network normalises with the statistics of the data it was trained on; re-estimated on the
// lab's tiles, each layer sees inputs normalised as in training again. Models without
// BatchNorm (the ViT encoders; LayerNorm normalises per token) only adapt their decoder.
// Thread-safety: one call at a time per result; the slides must allow concurrent reads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "muse/model.hpp"
#include "muse/progress.hpp"
#include "muse/slide.hpp"

namespace muse {

struct AdaptOptions {
    int tiles = 64;           ///< tissue tiles in all, spread evenly over the slides' tissue
    int tile_px = 256;        ///< tile side at the model's MPP (multiple of 32)
    int batch = 4;            ///< tiles per forward pass (BatchNorm sees the batch's statistics)
    bool tissue_mask = true;  ///< only tiles with tissue (as detection chooses them)
    /// Share of the lab's statistics in the result; the rest stays the model's own (1 = the
    /// lab's alone). A blend keeps what the training statistics knew (they include the
    /// training's colour augmentation) while moving towards the lab.
    double weight = 1.0;

    void validate() const;  ///< throws InvalidArgument naming the bad field
};

struct AdaptSlide {
    std::shared_ptr<const SlideSource> slide;
    double mpp = 0.0;  ///< level-0 um/px; 0 = from the slide (an error if unknown)
};

struct AdaptResult {
    Model model;
    std::int64_t tiles = 0;             ///< tiles the statistics came from
    std::int64_t batchnorm_layers = 0;  ///< layers whose statistics were replaced
};

/// A copy of `base` whose BatchNorm running means and variances are the averages over tiles of
/// `slides`, blended with the model's own by `weight` (every other weight unchanged; provenance records the adaptation). Throws
/// InvalidArgument when the model has no BatchNorm layer or the slides hold no tissue tile.
/// Progress: one unit per batch; cancel -> muse::Cancelled.
AdaptResult adapt_batchnorm(const Model& base, const std::vector<AdaptSlide>& slides, const AdaptOptions& options,
                            const Progress& progress = Progress());

/// As adapt_batchnorm, but nothing instead of an error when the model has no BatchNorm layer or
/// the slides hold fewer than `min_tiles` tissue tiles: for steps where adaptation is optional
/// (fine-tuning adapts first by default, and a few tiles would give noisy statistics).
std::optional<AdaptResult> adapt_batchnorm_if_possible(const Model& base, const std::vector<AdaptSlide>& slides,
                                                       const AdaptOptions& options, std::int64_t min_tiles,
                                                       const Progress& progress = Progress());

/// `base` with the BatchNorm statistics `lab` (the result of adapting `base` at weight 1) blended
/// in at `weight` in [0, 1]: weight x lab's + (1 - weight) x the model's own, the blend
/// adapt_batchnorm makes, so one pass over the tiles gives every weight. 0 gives `base` itself.
Model blend_batchnorm_statistics(const Model& base, const AdaptResult& lab, double weight);

}  // namespace muse
