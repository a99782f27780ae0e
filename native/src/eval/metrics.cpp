// Per-class precision / recall / F1 from radius matching, pooled over images; JSON and table.
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "muse/errors.hpp"
#include "muse/eval.hpp"

namespace muse {
namespace {

void finish(ClassMetrics& m) {
    const double tp = static_cast<double>(m.true_positives);
    m.precision = m.true_positives + m.false_positives > 0 ? tp / static_cast<double>(m.true_positives + m.false_positives) : 0.0;
    m.recall = m.true_positives + m.false_negatives > 0 ? tp / static_cast<double>(m.true_positives + m.false_negatives) : 0.0;
    const double denominator = 2.0 * tp + static_cast<double>(m.false_positives + m.false_negatives);
    m.f1 = denominator > 0.0 ? 2.0 * tp / denominator : 0.0;
}

/// Counts one matching of `pred` against `truth` into `m`.
void score(const std::vector<Point>& pred, const std::vector<Point>& truth, double radius_px, ClassMetrics& m) {
    const auto tp = static_cast<std::int64_t>(match_points(pred, truth, radius_px).size());
    m.true_positives += tp;
    m.false_positives += static_cast<std::int64_t>(pred.size()) - tp;
    m.false_negatives += static_cast<std::int64_t>(truth.size()) - tp;
}

std::vector<Point> of_class(const std::vector<LabelledPoint>& points, int cls) {
    std::vector<Point> out;
    for (const auto& p : points) {
        if (cls < 0 || p.class_index == cls) out.push_back({p.x, p.y});
    }
    return out;
}

void check_classes(const EvalImage& img, const std::vector<LabelledPoint>& points, const char* what, int classes) {
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (points[i].class_index < 0 || points[i].class_index >= classes) {
            throw InvalidArgument("image '" + img.name + "': " + what + " " + std::to_string(i) + " has class " +
                                  std::to_string(points[i].class_index) + ", outside 0.." + std::to_string(classes - 1));
        }
    }
}

nlohmann::json metrics_json(const ClassMetrics& m) {
    return {{"name", m.name},        {"true_positives", m.true_positives}, {"false_positives", m.false_positives},
            {"false_negatives", m.false_negatives}, {"precision", m.precision},   {"recall", m.recall},
            {"f1", m.f1}};
}

}  // namespace

void EvalOptions::validate() const {
    if (!(radius_um > 0.0) || !std::isfinite(radius_um)) {
        throw InvalidArgument("the matching radius must be a positive number of micrometres, got " + std::to_string(radius_um));
    }
}

EvalReport evaluate(const std::vector<EvalImage>& images, const std::vector<std::string>& class_names,
                    const EvalOptions& options) {
    options.validate();
    if (class_names.empty()) throw InvalidArgument("evaluation needs at least one class");
    const int k = static_cast<int>(class_names.size());
    EvalReport r;
    r.radius_um = options.radius_um;
    r.images = static_cast<int>(images.size());
    r.classes.resize(class_names.size());
    for (int c = 0; c < k; ++c) r.classes[c].name = class_names[c];
    r.detection.name = "all nuclei (class ignored)";
    for (const EvalImage& img : images) {
        if (!(img.mpp > 0.0) || !std::isfinite(img.mpp)) {
            throw InvalidArgument("image '" + img.name + "': mpp must be positive, got " + std::to_string(img.mpp));
        }
        check_classes(img, img.predictions, "prediction", k);
        check_classes(img, img.truth, "reference point", k);
        const double radius_px = options.radius_um / img.mpp;
        for (int c = 0; c < k; ++c) score(of_class(img.predictions, c), of_class(img.truth, c), radius_px, r.classes[c]);
        score(of_class(img.predictions, -1), of_class(img.truth, -1), radius_px, r.detection);
        if (!img.class_at_truth.empty()) {
            if (img.class_at_truth.size() != img.truth.size()) {
                throw InvalidArgument("image '" + img.name + "': " + std::to_string(img.class_at_truth.size()) +
                                      " classes at reference points for " + std::to_string(img.truth.size()) + " points");
            }
            for (std::size_t i = 0; i < img.truth.size(); ++i) {
                ++r.accuracy_points;
                if (img.class_at_truth[i] == img.truth[i].class_index) ++r.accuracy_correct;
            }
        }
    }
    double sum = 0.0;
    for (auto& m : r.classes) {
        finish(m);
        sum += m.f1;
    }
    finish(r.detection);
    r.mean_f1 = sum / k;
    r.accuracy = r.accuracy_points > 0 ? static_cast<double>(r.accuracy_correct) / static_cast<double>(r.accuracy_points) : 0.0;
    return r;
}

std::string eval_report_json(const EvalReport& r) {
    nlohmann::json classes = nlohmann::json::array();
    for (const auto& m : r.classes) classes.push_back(metrics_json(m));
    nlohmann::json j = {{"images", r.images},
                        {"radius_um", r.radius_um},
                        {"classes", classes},
                        {"mean_f1", r.mean_f1},
                        {"detection", metrics_json(r.detection)}};
    if (r.accuracy_points > 0) {
        j["accuracy_at_reference_points"] = {
            {"points", r.accuracy_points}, {"correct", r.accuracy_correct}, {"accuracy", r.accuracy}};
    }
    return j.dump(2);
}

std::string eval_report_table(const EvalReport& r) {
    std::string out;
    char line[256];
    std::snprintf(line, sizeof line, "%-28s %7s %7s %7s %7s %7s %7s\n", "class", "TP", "FP", "FN", "P %", "R %", "F1 %");
    out += line;
    auto row = [&](const ClassMetrics& m) {
        std::snprintf(line, sizeof line, "%-28s %7lld %7lld %7lld %7.2f %7.2f %7.2f\n", m.name.c_str(),
                      static_cast<long long>(m.true_positives), static_cast<long long>(m.false_positives),
                      static_cast<long long>(m.false_negatives), 100.0 * m.precision, 100.0 * m.recall, 100.0 * m.f1);
        out += line;
    };
    for (const auto& m : r.classes) row(m);
    std::snprintf(line, sizeof line, "%-28s %47.2f\n", "mean F1 over classes", 100.0 * r.mean_f1);
    out += line;
    row(r.detection);
    if (r.accuracy_points > 0) {
        std::snprintf(line, sizeof line, "classification accuracy at %lld reference points: %.2f %%\n",
                      static_cast<long long>(r.accuracy_points), 100.0 * r.accuracy);
        out += line;
    }
    std::snprintf(line, sizeof line, "%d images, matching radius %.3g um\n", r.images, r.radius_um);
    out += line;
    return out;
}

}  // namespace muse
