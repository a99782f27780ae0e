// Nucleus detection with a model that has detection heads.
//
//   muse::Model model = muse::Model::load("models/muse-default.muse");
//   muse::RgbImage img = muse::read_image_file("patch.png");
//   std::vector<muse::Detection> nuclei = muse::detect_image(model, img, 0.5);
//
//   auto slide = muse::open_slide("samples/CMU-1-Small-Region.svs");
//   muse::detect_slide(model, *slide, {}, [&](const muse::Detection& d) { writer->write(d); });
//
// Thread-safety: free functions; a Model may be shared by several threads.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "muse/detection.hpp"
#include "muse/geometry.hpp"
#include "muse/image.hpp"
#include "muse/precision.hpp"
#include "muse/progress.hpp"
#include "muse/slide.hpp"

namespace muse {

class Model;

struct DetectOptions {
    double score_threshold = 0.0;  ///< 0 = the model's (its per-class thresholds if it has them); > 0: this one for every class
    double merge_radius_um = 0.0;  ///< 0 = the model's (detection.merge_radius_um)
    /// Test-time augmentation: average the model's output over each tile and its horizontal,
    /// vertical and double flips (4 forward passes: about 4x the time).
    bool tta = false;
    /// The network's arithmetic (muse/precision.hpp). The library's default is float32, the same
    /// on every CPU; detection in muse's programs (muse detect and pseudolabel, the viewer, Java)
    /// defaults to Precision::Auto (bfloat16 where the CPU has it); muse eval and features to fp32.
    Precision precision = Precision::Fp32;

    void validate() const;  ///< throws InvalidArgument naming the bad field
};

/// Nuclei in a whole in-memory image of `mpp` micrometres per pixel, in that image's pixel
/// coordinates. The image is resampled to the model's MPP when they differ, padded by
/// reflection to a square whose side is a multiple of 32, and processed in one pass (meant for
/// patches up to a few thousand pixels; slides go through the tiled slide pipeline).
std::vector<Detection> detect_image(const Model& model, const RgbImage& image, double mpp,
                                    const DetectOptions& options = {});

struct SlideDetectOptions {
    DetectOptions decode;       ///< score threshold and merge radius (0 = the model's)
    double mpp = 0.0;           ///< the slide's level-0 um/px; 0 = from the file (an error if it has none)
    int tile_px = 512;          ///< tile side in model pixels (multiple of 32)
    double overlap_um = 16.0;   ///< context margin on each side of a tile, um (rounded up to the proposal stride)
    int batch = 4;              ///< tiles per forward pass
    int reader_threads = 2;     ///< threads reading and resampling tiles ahead of the model
    bool tissue_mask = true;    ///< skip tiles without tissue (from a low-resolution level)
    std::vector<Polygon> regions;  ///< level-0 areas to cover; empty = the whole slide

    void validate() const;  ///< throws InvalidArgument naming the bad field
};

struct SlideDetectSummary {
    std::int64_t tiles_total = 0;    ///< tiles of the region's grid
    std::int64_t tiles_planned = 0;  ///< of those, with tissue (and inside the regions)
    std::int64_t tiles_done = 0;
    std::int64_t tiles_failed = 0;   ///< unreadable: reported, skipped, counted
    std::int64_t nuclei = 0;
    double seconds = 0.0;
    double slide_mpp = 0.0;          ///< the MPP used
    int level = 0;                   ///< pyramid level read
    double area_mm2 = 0.0;           ///< area of the processed tile cores
    /// Tissue (by the tissue mask) inside the slide or its regions, mm^2; empty when the run had
    /// no tissue mask (--no-tissue-mask).
    std::optional<double> tissue_mm2;
    std::vector<std::string> failures;  ///< the first few failure messages
};

/// Detects the nuclei of a slide (or of its `regions`) and hands each to `sink` once, in
/// level-0 pixels, as soon as it is final. Tiles at the model's MPP with a margin; a small pool
/// reads and resamples tiles ahead of the model through a bounded queue; decoding owns each
/// proposal in exactly one tile core and merges across seams with the same rule as one large
/// tile. Progress: one unit per tile; cancel -> muse::Cancelled (what was already passed to
/// the sink stays with the caller, who discards it). Throws InvalidArgument when the MPP is
/// unknown and not given.
SlideDetectSummary detect_slide(const Model& model, const SlideSource& slide, const SlideDetectOptions& options,
                                const std::function<void(const Detection&)>& sink, const Progress& progress = Progress());

}  // namespace muse
