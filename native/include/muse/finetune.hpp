// Fine-tuning a detection model on a user's annotations, the MUSE paper's LFoV semi-supervised
// way: each annotated region is grown to a large field of view with the region at a random
// offset; inside the region the labelled nuclei give L_reg + L_type; outside it, the model's
// own confident predictions are pseudo-labels for L_cons, whose weight ramps up over training.
//
//   muse::Model base = muse::Model::load("models/muse-default.muse");
//   muse::AnnotationReadOptions ro;
//   ro.classes = base.config().classes;
//   muse::AnnotationSet a = muse::read_qupath_annotations("annotations.geojson", ro);
//   muse::FinetuneSlide s{muse::open_slide("slide.svs"), 0.0, a.regions};
//   muse::FinetuneOptions o;
//   o.mode = muse::FinetuneMode::Heads;          // fast: backbone frozen, features cached
//   muse::FinetuneResult r = muse::finetune(base, a.classes, {s}, o);
//   r.model.save("my-model.muse");
//
// Deterministic for a seed and a thread count; with a checkpoint file, an interrupted run
// resumed with the same options ends with the same weights as an uninterrupted one.
// Thread-safety: one fine-tuning per call; the slides must allow concurrent reads (all do).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "muse/adapt.hpp"
#include "muse/annotations.hpp"
#include "muse/detect.hpp"
#include "muse/model.hpp"
#include "muse/precision.hpp"
#include "muse/progress.hpp"
#include "muse/slide.hpp"

namespace muse {

enum class FinetuneMode {
    Full,     ///< every weight trains
    Decoder,  ///< the backbone (encoder.encoder.*) is frozen; reassembly, decoder and heads train
    Heads,    ///< only the heads train, on features computed once per region (fast on a CPU)
};

/// "full" | "decoder" | "heads"; InvalidArgument otherwise.
FinetuneMode parse_finetune_mode(const std::string& name);
std::string to_string(FinetuneMode mode);

/// The adaptation weights FinetuneOptions::kAdaptAuto chooses among.
inline constexpr double kAdaptChoices[] = {0.0, 0.5, 1.0};

struct FinetuneOptions {
    FinetuneMode mode = FinetuneMode::Full;
    int epochs = 30;            ///< passes over the regions, one sample per region each
    int batch = 4;              ///< samples per optimiser step (paper: 4; gradients accumulated)
    int sample_px = 1024;       ///< LFoV sample side at the model's MPP (paper: 1024), multiple of 32
    bool lfov = true;           ///< false: samples are the regions' own squares (no surroundings)
    double lr = 1e-4;           ///< Adam, cosine schedule to lr_min (paper: 1e-4 -> 1e-5)
    double lr_min = 1e-5;
    /// FinetuneMode::Full: the backbone learns at this share of the learning rate (the decoder
    /// and heads at all of it): ten squares can move the heads and decoder where they need to be
    /// without pulling the backbone's features away from what it learned on thousands of
    /// nuclei, and without undoing the stain fit. 1 = one rate for all (the paper's recipe).
    /// Measured on simulated labs (docs/finetune.md): 0.1 keeps the stain fit's gain in full mode.
    double backbone_lr_scale = 0.1;
    double weight_decay = 0.0;
    double reg_weight = 5e-3;   ///< lambda_reg (paper)
    double type_weight = 1.0;   ///< lambda_type (paper)
    double cons_weight = 0.1;   ///< lambda_cons at the end of its ramp (paper: 0.1); 0 = no L_cons
    double cons_threshold = 0.9;         ///< pseudo-label confidence (best nucleus class probability)
    double background_weight = 0.5;      ///< CE weight of the background class
    /// CE weight of class c = (mean count / count of c)^this over the annotated nuclei, normalised
    /// to mean 1 (0 = equal weights, 1 = inverse frequency): what lets a class the lab adds with a
    /// few dozen points stand against the thousands of its neighbours.
    double class_balance = 0.0;
    double match_distance_weight = 0.05; ///< matching cost per pixel
    bool flips = true;
    bool rotations = true;
    double colour_jitter = 0.1;
    /// First of all, when > 0: passes over the annotated regions' own squares fitting only a
    /// stain correction of the input (ModelConfig::od_transform, 12 numbers) with every weight
    /// frozen; the new model keeps it. 0 = off. Measured on four simulated labs (docs/finetune.md):
    /// 30 passes of one region per step close 99 % of a strong stain shift's gap in heads mode
    /// (76 % without), and cost nothing where the lab is like the training data; about 25 s for
    /// ten regions on 2 cores. Hence on by default, in every mode.
    int stain_fit_epochs = 30;
    double stain_fit_lr = 0.02;  ///< Adam, cosine schedule to a tenth of it
    /// Regions per step of that fit (`batch` is the training's). One per step gives the twelve
    /// numbers ten steps per pass over ten regions: at 4 per step, 30 passes were not enough
    /// (88 % of the far lab's gap against 99 %; docs/finetune.md).
    int stain_fit_batch = 1;
    /// adapt_weight's default: the weight is chosen on the annotations (kAdaptChoices).
    static constexpr double kAdaptAuto = -1.0;
    /// Label-free first step: the base model's BatchNorm statistics are re-estimated on tissue
    /// tiles of the annotated slides (adapt_batchnorm) and blended with its own, this being the
    /// slides' share; 0 = off. kAdaptAuto (the default): each weight of kAdaptChoices is tried and
    /// the one whose model fits the clicked nuclei best before any training (lowest L_reg +
    /// L_type on the annotated regions) is kept: a lab that differs gets its own statistics, a
    /// lab like the training data keeps the model's. Skipped for models without BatchNorm and
    /// slides with fewer than 8 tissue tiles. Measured on simulated labs: docs/finetune.md.
    double adapt_weight = kAdaptAuto;
    int adapt_tiles = 64;            ///< tissue tiles the statistics come from
    bool adapt_tissue_mask = true;   ///< false: every tile counts as tissue (data sets of tissue patches)
    /// The network's arithmetic (muse/precision.hpp) in the stain fit, the heads' cached
    /// features, the training passes and, in heads mode, the heads' products: Auto = bfloat16
    /// where the CPU has it natively. The weights, the optimiser, the losses and the BatchNorm
    /// adaptation's statistics stay float32. Measured on simulated labs (docs/performance.md):
    /// the same F1 within the noise; heads mode 1.2-1.35x, full mode 1.4x faster (AVX512-BF16).
    Precision precision = Precision::Auto;
    std::uint64_t seed = 1;
    std::filesystem::path checkpoint;    ///< when set: weights, optimiser state and history after every epoch (atomic)
    bool resume = false;                 ///< continue from `checkpoint` (same options required)
    std::string provenance_json = "{}";  ///< what the caller wants recorded (data files, ...)

    void validate() const;  ///< throws InvalidArgument naming the bad field
};

/// lambda_cons of `epoch` (0-based) of `epochs`: max x (1 - cos(pi e / (epochs - 1))) / 2,
/// 0 at the first epoch and `max` at the last (the paper's 1 - cos(pi i / N) ramp).
double cons_ramp(int epoch, int epochs, double max);

/// Annotated regions of one slide.
struct FinetuneSlide {
    std::shared_ptr<const SlideSource> slide;
    double mpp = 0.0;                     ///< level-0 um/px; 0 = from the slide (an error if unknown)
    std::vector<AnnotatedRegion> regions; ///< level-0 pixels
};

struct FinetuneEpoch {
    int epoch = 0;  ///< 1-based
    double loss = 0, loss_type = 0, loss_reg = 0, loss_cons = 0;  ///< means over the epoch's samples
    double lambda_cons = 0, lr = 0, seconds = 0;
    std::int64_t pseudo_labels = 0;  ///< pseudo-labelled proposals over the epoch
};

struct FinetuneResult {
    Model model;
    std::vector<FinetuneEpoch> history;
    int resumed_after_epoch = 0;      ///< 0 when the run started afresh
    std::int64_t regions = 0, nuclei = 0;
    double cache_seconds = 0;         ///< FinetuneMode::Heads: computing the features once
    std::int64_t adapted_tiles = 0;   ///< tiles the first step adapted to; 0 = no adaptation
    std::int64_t adapted_layers = 0;  ///< BatchNorm layers it adapted
    /// FinetuneOptions::stain_fit_epochs: the loss on the regions in its first and last epoch.
    double stain_fit_loss_first = 0, stain_fit_loss_last = 0;
    double adapt_weight = 0;          ///< the weight it adapted at (chosen when FinetuneOptions::kAdaptAuto)
    /// kAdaptAuto: each weight tried and the loss of its model on the annotated regions.
    std::vector<std::pair<double, double>> adapt_losses;
};

/// Fine-tunes `base` (a model with heads) on the regions of `data`, adapting its BatchNorm
/// statistics to the slides first (FinetuneOptions::adapt_weight). `classes` are the
/// annotation's classes: the base model's, possibly followed by new ones (the type head then
/// grows; the old classes keep their weights). Progress: one unit per sample with the loss
/// terms and an ETA; cancel -> muse::Cancelled (the checkpoint keeps the finished epochs).
/// The result carries provenance: the base model's, the options, the data, the history.
FinetuneResult finetune(const Model& base, const std::vector<ClassInfo>& classes, const std::vector<FinetuneSlide>& data,
                        const FinetuneOptions& options, const Progress& progress = Progress(),
                        const std::function<void(const FinetuneEpoch&)>& on_epoch = {});

/// The annotated slides of one fine-tuning run, gathered slide by slide. Point classes map onto
/// the base model's classes; with `allow_new_classes` a class the model lacks is appended (in
/// order of first use) and keeps its index on every later slide.
struct FinetuneData {
    FinetuneData(const Model& base, bool allow_new_classes);

    /// How to read the next slide's annotations (read_qupath_annotations, assemble_annotations).
    AnnotationReadOptions read_options() const;
    /// Adds a slide with its annotations (read with read_options()).
    void add(std::shared_ptr<const SlideSource> slide, double mpp, AnnotationSet annotations);
    /// The classes appended to the base model's.
    std::vector<std::string> new_classes() const;

    std::vector<ClassInfo> classes;     ///< the base model's, then the new ones
    std::vector<FinetuneSlide> slides;
    std::int64_t nuclei = 0;            ///< labelled nuclei over all regions
    std::size_t regions = 0;
    std::size_t points_outside = 0, areas_without_points = 0;  ///< left out (reported by the callers)

private:
    std::size_t base_classes_;
    bool allow_new_classes_;
};

/// Throws InvalidArgument if the fine-tuned model or its checkpoint would overwrite the base
/// model's file (or each other): every front end checks this before doing any work.
void check_finetune_paths(const std::filesystem::path& base_file, const std::filesystem::path& output,
                          const std::filesystem::path& checkpoint);

/// The one way the CLI, the viewer and Java fine-tune into a file: checks the paths, fine-tunes,
/// writes the model to `output` atomically, then removes the checkpoint (the finished model
/// supersedes it; a failed or cancelled run keeps it, so `resume` can continue).
FinetuneResult finetune_to_file(const Model& base, const std::filesystem::path& base_file, const FinetuneData& data,
                                const FinetuneOptions& options, const std::filesystem::path& output,
                                const Progress& progress = Progress(),
                                const std::function<void(const FinetuneEpoch&)>& on_epoch = {});

/// Where pseudo-labels for review are looked for: a ring of `ring_px` (level-0 pixels) around
/// each annotated region: the region's bounding box grown by the ring width, with the region's
/// outline as a hole. Detect in these areas with a high score threshold (`muse pseudolabel`).
std::vector<Polygon> pseudo_label_rings(const std::vector<AnnotatedRegion>& regions, double ring_px);

}  // namespace muse

namespace muse {

struct PseudoLabelOptions {
    double ring_um = 50.0;       ///< width of the ring around each region
    double threshold = 0.9;      ///< score a pseudo-label needs
    SlideDetectOptions detect;   ///< tiling, MPP, threads; its regions and score threshold are set here
    void validate() const;       ///< throws InvalidArgument naming the bad field
};

/// Pseudo-labels for review: detections scoring at least options.threshold in a ring of
/// options.ring_um around each annotated region (pseudo_label_rings), handed to `sink` in
/// level-0 pixels. Same progress and cancellation as detect_slide.
SlideDetectSummary pseudo_label(const Model& model, const SlideSource& slide, const std::vector<AnnotatedRegion>& regions,
                                const PseudoLabelOptions& options, const std::function<void(const Detection&)>& sink,
                                const Progress& progress = Progress());

}  // namespace muse
