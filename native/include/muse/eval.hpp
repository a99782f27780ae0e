// Evaluation of nucleus detection and classification against reference points.
//
//   muse::EvalImage img;
//   img.predictions = {{10, 12, 0}, {40, 41, 2}};   // image pixels, class index
//   img.truth       = {{11, 12, 0}, {80, 80, 1}};
//   img.mpp = 0.5;
//   muse::EvalReport r = muse::evaluate({img}, {"Lymphocyte", "Tumor", "Stroma"}, {});
//   r.mean_f1;   // mean over classes of the per-class F1
//
// Scoring (MCSpatNet-style, the usual BRCA-M2C protocol): for each class on its own, the
// predictions of that class are matched one-to-one to the reference points of that class
// within a radius (micrometres, converted with each image's MPP); matched pairs are true
// positives, the rest false positives / false negatives, pooled over all images. Two matching
// rules (EvalOptions::matching):
//  - greedy (the default; MCSpatNet's published evaluation, which the BRCA-M2C numbers of the
//    literature use): reference points in row-major order (by y, then x) each take the nearest
//    prediction not yet taken that lies strictly closer than the radius;
//  - hungarian: as many pairs as possible within the radius (inclusive), then the smallest total
//    distance. Never fewer true positives than greedy.
// Each image's counts are kept (EvalReport::per_image), so reports can be pooled over folds
// (pool_reports) and resampled over images (bootstrap_mean_f1).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "muse/annotations.hpp"
#include "muse/detect.hpp"
#include "muse/geometry.hpp"
#include "muse/progress.hpp"

namespace muse {

class Model;

/// One-to-one pairs (index in `a`, index in `b`) with distance <= `radius_px`: the largest
/// possible number of pairs, and among those the smallest total distance.
std::vector<std::pair<int, int>> match_points(const std::vector<Point>& a, const std::vector<Point>& b,
                                              double radius_px);

/// MCSpatNet's greedy pairs (index in `truth`, index in `predictions`): reference points in
/// row-major order each take the nearest unused prediction at a distance < `radius_px`.
std::vector<std::pair<int, int>> match_points_greedy(const std::vector<Point>& truth,
                                                     const std::vector<Point>& predictions, double radius_px);

/// Predictions and reference points of one image, in the same pixel frame.
struct EvalImage {
    std::string name;
    double mpp = 0.5;                         ///< micrometres per pixel of that frame
    std::vector<LabelledPoint> predictions;
    std::vector<LabelledPoint> truth;
    /// Optional: the class the model gives at each reference point (same order as `truth`),
    /// for classification accuracy at known nuclei. Empty when not measured.
    std::vector<int> class_at_truth;
};

enum class Matching { greedy, hungarian };

/// "greedy" / "hungarian", and back (InvalidArgument naming the choices).
const char* matching_name(Matching m);
Matching parse_matching(const std::string& name);

struct EvalOptions {
    double radius_um = 3.0;  ///< matching radius; 3 um = 6 px at 0.5 um/px (20x)
    Matching matching = Matching::greedy;

    void validate() const;  ///< throws InvalidArgument
};

struct ClassMetrics {
    std::string name;
    std::int64_t true_positives = 0;
    std::int64_t false_positives = 0;
    std::int64_t false_negatives = 0;
    double precision = 0.0;  ///< TP / (TP + FP), 0 when there are no predictions
    double recall = 0.0;     ///< TP / (TP + FN), 0 when there are no reference points
    double f1 = 0.0;         ///< 2 TP / (2 TP + FP + FN), 0 when both are empty
};

/// The counts of one image (precision, recall and F1 from that image alone).
struct ImageMetrics {
    std::string name;
    std::vector<ClassMetrics> classes;  ///< one per class, in the report's order
    ClassMetrics detection;
    double mean_f1 = 0.0;  ///< over the classes present in the image (truth or predictions); 1 if none
    std::int64_t accuracy_points = 0, accuracy_correct = 0;
};

struct EvalReport {
    std::vector<ClassMetrics> classes;  ///< one per class name, in order
    double mean_f1 = 0.0;               ///< mean of the classes' F1
    ClassMetrics detection;             ///< all classes pooled, class ignored in matching
    std::int64_t accuracy_points = 0;   ///< reference points with a class_at_truth value
    std::int64_t accuracy_correct = 0;
    double accuracy = 0.0;              ///< correct / points; 0 when not measured
    double radius_um = 0.0;
    Matching matching = Matching::greedy;
    int images = 0;
    std::vector<ImageMetrics> per_image;  ///< in input order
};

/// One report over the images of several (e.g. the test folds of a cross-validation, each
/// scored with its own model): counts summed image by image. The reports must share class
/// names, radius and matching rule (InvalidArgument otherwise).
EvalReport pool_reports(const std::vector<EvalReport>& reports);

/// A percentile interval of the mean F1 over classes when the report's images are drawn with
/// replacement (`samples` times, counts pooled per draw, fixed `seed`).
struct Interval {
    double low = 0.0, high = 0.0;
    int samples = 0;
    double level = 0.95;
};
Interval bootstrap_mean_f1(const EvalReport& report, int samples = 2000, double level = 0.95,
                           std::uint64_t seed = 1);

/// Scores `images` (see the file comment). Points whose class is outside [0, class count)
/// are an InvalidArgument naming the image.
EvalReport evaluate(const std::vector<EvalImage>& images, const std::vector<std::string>& class_names,
                    const EvalOptions& options);

/// Runs `model` on each labelled image (detect_image with `detect`) and scores the detections;
/// also measures classification accuracy at the labelled nuclei (H_type at their positions).
/// Reports one step per image to `progress`, which may cancel.
EvalReport evaluate_model(const Model& model, const std::vector<LabelledImage>& images, const EvalOptions& options,
                          const DetectOptions& detect = {}, const Progress& progress = Progress());

/// Decoding thresholds chosen on labelled images (they are a decoding setting, not weights).
struct ThresholdChoice {
    double score_threshold = 0.5;               ///< best single threshold, 0.20..0.85 in steps of 0.05
    std::vector<double> class_score_thresholds; ///< per class, when asked for and better as a whole
    EvalReport report;                          ///< on the images, at the chosen thresholds
};

/// Sweeps the score threshold over `images` (one forward pass each) and returns the one with
/// the best mean F1; with `per_class`, also each class's best threshold for its own F1, kept
/// only if the combination scores at least as well as the single threshold on these images.
/// Choosing on images and reporting on the same images is optimistic: report held-out images.
ThresholdChoice choose_score_thresholds(const Model& model, const std::vector<LabelledImage>& images, bool per_class,
                                        const EvalOptions& options, const Progress& progress = Progress());

/// The report as a JSON object (fractions in [0, 1]).
std::string eval_report_json(const EvalReport& report);

/// The report as a text table (percentages), for a terminal.
std::string eval_report_table(const EvalReport& report);

/// One line per image: nuclei, detections, F1 of each class and their mean, worst first.
std::string eval_per_image_table(const EvalReport& report);

}  // namespace muse
