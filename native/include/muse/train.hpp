// Supervised training of the detection model on fully labelled images (the ground work that
// fine-tuning on a user's annotations extends).
//
//   muse::ModelConfig config;
//   config.arch = "r50_w16";
//   config.classes = muse::brca_m2c_classes();
//   auto train = muse::read_brca_m2c(dir, "split_train.txt");
//   auto val = muse::read_brca_m2c(dir, "split_val.txt");
//   muse::TrainResult r = muse::train_detector(config, {}, train, val, {}, progress);
//   r.model.save("model.muse");
//
// Method (muse-paper-detection.md): random tiles with flips, rotations, colour and scale
// jitter; the dense map is sampled at a grid of proposals; each image's proposals are matched
// one-to-one to its nuclei (Hungarian, cost = distance weight x distance - probability of the
// nucleus' class); L = reg_weight x MSE(matched points) + type_weight x CE(classes, unmatched =
// background); Adam with a cosine learning-rate schedule, optionally an exponential moving
// average of the weights as the result. Deterministic for a seed and a
// thread count. Thread-safety: one training per call; nothing shared.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>


#include "muse/annotations.hpp"
#include "muse/eval.hpp"
#include "muse/model.hpp"
#include "muse/precision.hpp"
#include "muse/progress.hpp"

namespace muse {

struct TrainOptions {
    int epochs = 150;              ///< passes over the training images (one tile per image each)
    int batch = 8;                 ///< tiles per optimiser step
    int tile_px = 256;             ///< training tile side at the model's MPP (multiple of 32)
    double lr = 1e-4;              ///< Adam learning rate at the start (paper: 1e-4)
    double lr_min = 1e-5;          ///< end of the cosine schedule (paper: 1e-5 for BRCA-M2C)
    double weight_decay = 0.0;
    double reg_weight = 5e-3;      ///< lambda_reg (paper)
    double type_weight = 1.0;      ///< lambda_type (paper)
    double background_weight = 0.5;       ///< CE weight of the background class
    double class_balance = 0.0;           ///< CE weight of class c = (mean count / count of c)^this over the
                                          ///< training labels, normalised to mean 1 (0 = equal, 0.5 = sqrt, 1 = inverse)
    double match_distance_weight = 0.05;  ///< matching cost per pixel of distance
    bool flips = true;
    bool rotations = true;          ///< multiples of 90 degrees
    double colour_jitter = 0.2;     ///< brightness, contrast, saturation +- this; channel gains +- a quarter
    double scale_jitter = 0.1;      ///< tiles resampled by a factor in [1 - s, 1 + s]
    double stain_jitter = 0.0;      ///< H and E amounts x [1 - s, 1 + s] in optical density (muse/stain.hpp)
    double blur_probability = 0.0;  ///< share of tiles blurred (Gaussian, sigma 0.4-1.5 px)
    double jpeg_probability = 0.0;  ///< share of tiles JPEG-compressed (quality 40-90)
    double distractor_probability = 0.0;  ///< share of tiles given 1-4 pasted pigment specks or red blood
                                          ///< cells away from the labelled nuclei (background to learn)
    double ema_decay = 0.0;         ///< > 0: keep an exponential moving average of the weights and
                                    ///< validate / return it instead of the last step's (e.g. 0.999)
    bool freeze_backbone = false;   ///< keep the encoder's weights and BatchNorm statistics as given in
                                    ///< initial_weights (an imported MUSE backbone); train decoder and heads
    /// The network's arithmetic in the training passes (muse/precision.hpp); the validation
    /// detects in float32 whatever this says, so that its F1 does not depend on the machine.
    /// Float32 by default: bfloat16 trains 1.45x faster but scored a point lower after a
    /// shortened 3-fold training (docs/performance.md).
    Precision precision = Precision::Fp32;
    std::uint64_t seed = 1;
    int val_every = 5;              ///< epochs between validations (and checkpoints); the last always
    double val_radius_um = 3.0;     ///< matching radius of the validation F1
    bool tune_threshold = true;     ///< pick the best score threshold on the validation images
    bool class_thresholds = false;  ///< ... and one per class (muse::choose_score_thresholds)
    std::filesystem::path checkpoint_dir;  ///< when set: best.muse and last.muse, written atomically
    /// When set: the whole training state (weights, their average, the best validated ones, Adam,
    /// the random stream, the history) written atomically every `checkpoint_every` epochs, after
    /// each validation and after the last epoch, so that `resume` continues a stopped run and
    /// ends with the weights an uninterrupted run would have.
    std::filesystem::path checkpoint;
    int checkpoint_every = 10;
    bool resume = false;            ///< continue from `checkpoint` (same options, images and architecture)

    void validate() const;  ///< throws InvalidArgument naming the bad field
};

struct EpochReport {
    int epoch = 0;
    double loss = 0.0, loss_type = 0.0, loss_reg = 0.0;  ///< means over the epoch's steps
    double lr = 0.0;                                   ///< at the epoch's last step
    double seconds = 0.0;
    bool validated = false;
    double val_mean_f1 = 0.0;
    bool best = false;  ///< this validation beat every earlier one, a resumed run's included (its weights are kept)
};

struct TrainResult {
    Model model;                      ///< weights of the best validation epoch
    int best_epoch = 0;
    EvalReport best_val;              ///< at the stored score threshold
    std::vector<EpochReport> history;
};

/// Trains a model of `config` (architecture, classes, detection settings). `initial_weights`
/// (model-file names) may hold a pretrained backbone, with or without heads; empty = start
/// from LibTorch's default initialisation. Without validation images, the last epoch is kept.
/// Reports one unit per optimiser step to `progress` (cancel -> muse::Cancelled; files in
/// checkpoint_dir stay as last written).
/// `on_epoch`, when set, is called after each epoch (and its validation) on this thread.
/// The result's provenance is `config.provenance_json` with a "training" entry added.
TrainResult train_detector(const ModelConfig& config, const std::map<std::string, at::Tensor>& initial_weights,
                           const std::vector<LabelledImage>& train, const std::vector<LabelledImage>& val,
                           const TrainOptions& options, const Progress& progress = Progress(),
                           const std::function<void(const EpochReport&)>& on_epoch = {});

}  // namespace muse
