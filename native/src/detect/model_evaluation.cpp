// Model -> detections and classes at reference points -> EvalReport.
#include "detect/model_evaluation.hpp"

#include "detect/image_pass.hpp"
#include "muse/errors.hpp"

namespace muse::detect {

std::vector<EvalReport> evaluate_at_thresholds(const Model& model, const std::vector<LabelledImage>& images,
                                               const std::vector<double>& thresholds, double merge_radius_um,
                                               const EvalOptions& options, const Progress& progress) {
    options.validate();
    std::vector<std::string> names;
    for (const auto& c : model.config().classes) names.push_back(c.name);
    std::vector<std::vector<EvalImage>> per_threshold(thresholds.size());
    for (std::size_t i = 0; i < images.size(); ++i) {
        progress.check();
        const LabelledImage& img = images[i];
        ImagePass pass;
        try {
            pass = run_on_image(model, img.image, img.mpp);
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
                                          {detect.score_threshold > 0 ? detect.score_threshold : d.score_threshold},
                                          detect.merge_radius_um > 0 ? detect.merge_radius_um : d.merge_radius_um,
                                          options, progress)
        .front();
}

}  // namespace muse
