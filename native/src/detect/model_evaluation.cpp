// Model -> detections and classes at reference points -> EvalReport.
#include "detect/model_evaluation.hpp"

#include "detect/image_pass.hpp"
#include "muse/errors.hpp"

namespace muse::detect {

std::vector<EvalReport> evaluate_at_thresholds(const Model& model, const std::vector<LabelledImage>& images,
                                               const std::vector<ScoreThresholds>& thresholds, double merge_radius_um,
                                               const EvalOptions& options, const Progress& progress, bool tta,
                                               Precision precision) {
    options.validate();
    std::vector<std::string> names;
    for (const auto& c : model.config().classes) names.push_back(c.name);
    std::vector<std::vector<EvalImage>> per_threshold(thresholds.size());
    for (std::size_t i = 0; i < images.size(); ++i) {
        progress.check();
        const LabelledImage& img = images[i];
        ImagePass pass;
        try {
            pass = run_on_image(model, img.image, img.mpp, tta, precision);
        } catch (Error& e) {
            e.add_context("image '" + img.name + "'");
            throw;
        }
        EvalImage base;
        base.name = img.name;
        base.mpp = img.mpp;
        base.truth = img.nuclei;
        base.class_at_truth = classes_at(model, pass, img.nuclei);
        for (std::size_t t = 0; t < thresholds.size(); ++t) {
            EvalImage e = base;
            for (const Detection& d : detections_of(pass, thresholds[t], merge_radius_um, model.config().mpp)) {
                e.predictions.push_back({d.x, d.y, d.class_index});
            }
            per_threshold[t].push_back(std::move(e));
        }
        progress.report({static_cast<std::int64_t>(i + 1), static_cast<std::int64_t>(images.size()), "images", img.name});
    }
    std::vector<EvalReport> reports;
    for (const auto& evals : per_threshold) reports.push_back(evaluate(evals, names, options));
    return reports;
}

}  // namespace muse::detect

namespace muse {

EvalReport evaluate_model(const Model& model, const std::vector<LabelledImage>& images, const EvalOptions& options,
                          const DetectOptions& detect, const Progress& progress) {
    detect.validate();
    if (!model.config().has_heads()) throw InvalidArgument("this model has no detection heads: nothing to evaluate");
    const DetectionConfig& d = model.config().detection;
    return detect::evaluate_at_thresholds(model, images,
                                          {detect::thresholds_for(d, detect.score_threshold)},
                                          detect.merge_radius_um > 0 ? detect.merge_radius_um : d.merge_radius_um,
                                          options, progress, detect.tta, detect.precision)
        .front();
}

ThresholdChoice choose_score_thresholds(const Model& model, const std::vector<LabelledImage>& images, bool per_class,
                                        const EvalOptions& options, const Progress& progress) {
    if (!model.config().has_heads()) throw InvalidArgument("this model has no detection heads: no thresholds to choose");
    if (images.empty()) throw InvalidArgument("choosing score thresholds needs labelled images");
    const DetectionConfig& d = model.config().detection;
    std::vector<detect::ScoreThresholds> grid;
    for (int t = 20; t <= 85; t += 5) grid.emplace_back(t / 100.0);
    const std::vector<EvalReport> reports =
        detect::evaluate_at_thresholds(model, images, grid, d.merge_radius_um, options, progress);
    std::size_t pick = 0;
    for (std::size_t i = 1; i < reports.size(); ++i) {
        if (reports[i].mean_f1 > reports[pick].mean_f1) pick = i;
    }
    ThresholdChoice choice;
    choice.score_threshold = grid[pick].all;
    choice.report = reports[pick];
    if (!per_class) return choice;
    // A nucleus's class is its argmax, so class c's counts depend (up to duplicate suppression
    // between classes) on c's threshold only: each class takes the grid value that is best for
    // its own F1 in the same sweep, and the combination is scored once more as a whole.
    const std::size_t k = model.config().classes.size();
    for (std::size_t c = 0; c < k; ++c) {
        std::size_t best = pick;
        for (std::size_t i = 0; i < reports.size(); ++i) {
            if (reports[i].classes[c].f1 > reports[best].classes[c].f1) best = i;
        }
        choice.class_score_thresholds.push_back(grid[best].all);
    }
    const EvalReport combined = detect::evaluate_at_thresholds(
        model, images, {detect::ScoreThresholds(choice.score_threshold, choice.class_score_thresholds)},
        d.merge_radius_um, options, progress.silent()).front();
    if (combined.mean_f1 >= choice.report.mean_f1) {
        choice.report = combined;
    } else {
        choice.class_score_thresholds.clear();  // the interaction cost more than it gained
    }
    return choice;
}

}  // namespace muse
