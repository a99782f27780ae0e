// Per-class precision / recall / F1 from radius matching, per image and pooled over images;
// pooling over folds; JSON and tables.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

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
void score(const std::vector<Point>& pred, const std::vector<Point>& truth, double radius_px, Matching rule,
           ClassMetrics& m) {
    const auto tp = static_cast<std::int64_t>(rule == Matching::greedy ? match_points_greedy(truth, pred, radius_px).size()
                                                                       : match_points(pred, truth, radius_px).size());
    m.true_positives += tp;
    m.false_positives += static_cast<std::int64_t>(pred.size()) - tp;
    m.false_negatives += static_cast<std::int64_t>(truth.size()) - tp;
}

void add_counts(ClassMetrics& into, const ClassMetrics& m) {
    into.true_positives += m.true_positives;
    into.false_positives += m.false_positives;
    into.false_negatives += m.false_negatives;
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

/// Precision, recall and F1 of every class and the mean over classes, from the counts.
void finish_report(EvalReport& r) {
    double sum = 0.0;
    for (auto& m : r.classes) {
        finish(m);
        sum += m.f1;
    }
    finish(r.detection);
    r.mean_f1 = r.classes.empty() ? 0.0 : sum / static_cast<double>(r.classes.size());
    r.accuracy = r.accuracy_points > 0 ? static_cast<double>(r.accuracy_correct) / static_cast<double>(r.accuracy_points) : 0.0;
}

}  // namespace

const char* matching_name(Matching m) { return m == Matching::greedy ? "greedy" : "hungarian"; }

Matching parse_matching(const std::string& name) {
    if (name == "greedy") return Matching::greedy;
    if (name == "hungarian") return Matching::hungarian;
    throw InvalidArgument("unknown matching rule '" + name + "': use greedy or hungarian");
}

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
    r.matching = options.matching;
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
        ImageMetrics im;
        im.name = img.name;
        im.classes.resize(class_names.size());
        for (int c = 0; c < k; ++c) im.classes[c].name = class_names[c];
        im.detection.name = r.detection.name;
        const double radius_px = options.radius_um / img.mpp;
        for (int c = 0; c < k; ++c) {
            score(of_class(img.predictions, c), of_class(img.truth, c), radius_px, options.matching, im.classes[c]);
        }
        score(of_class(img.predictions, -1), of_class(img.truth, -1), radius_px, options.matching, im.detection);
        if (!img.class_at_truth.empty()) {
            if (img.class_at_truth.size() != img.truth.size()) {
                throw InvalidArgument("image '" + img.name + "': " + std::to_string(img.class_at_truth.size()) +
                                      " classes at reference points for " + std::to_string(img.truth.size()) + " points");
            }
            for (std::size_t i = 0; i < img.truth.size(); ++i) {
                ++im.accuracy_points;
                if (img.class_at_truth[i] == img.truth[i].class_index) ++im.accuracy_correct;
            }
        }
        // An image's mean is over the classes it has (in its truth or its predictions): a
        // class absent from both says nothing about that image.
        double sum = 0.0;
        int present = 0;
        for (int c = 0; c < k; ++c) {
            add_counts(r.classes[c], im.classes[c]);
            finish(im.classes[c]);
            const ClassMetrics& m = im.classes[c];
            if (m.true_positives + m.false_positives + m.false_negatives > 0) {
                sum += m.f1;
                ++present;
            }
        }
        add_counts(r.detection, im.detection);
        finish(im.detection);
        im.mean_f1 = present > 0 ? sum / present : 1.0;
        r.accuracy_points += im.accuracy_points;
        r.accuracy_correct += im.accuracy_correct;
        r.per_image.push_back(std::move(im));
    }
    finish_report(r);
    return r;
}

EvalReport pool_reports(const std::vector<EvalReport>& reports) {
    if (reports.empty()) throw InvalidArgument("pooling needs at least one report");
    EvalReport r;
    const EvalReport& first = reports.front();
    r.radius_um = first.radius_um;
    r.matching = first.matching;
    r.classes.resize(first.classes.size());
    for (std::size_t c = 0; c < first.classes.size(); ++c) r.classes[c].name = first.classes[c].name;
    r.detection.name = first.detection.name;
    for (std::size_t i = 0; i < reports.size(); ++i) {
        const EvalReport& one = reports[i];
        bool same = one.classes.size() == first.classes.size() && one.radius_um == first.radius_um &&
                    one.matching == first.matching;
        for (std::size_t c = 0; same && c < one.classes.size(); ++c) same = one.classes[c].name == first.classes[c].name;
        if (!same) {
            throw InvalidArgument("report " + std::to_string(i + 1) +
                                  " has other classes, radius or matching than the first: they cannot be pooled");
        }
        for (const ImageMetrics& im : one.per_image) {
            for (std::size_t c = 0; c < im.classes.size(); ++c) add_counts(r.classes[c], im.classes[c]);
            add_counts(r.detection, im.detection);
            r.accuracy_points += im.accuracy_points;
            r.accuracy_correct += im.accuracy_correct;
            r.per_image.push_back(im);
        }
    }
    r.images = static_cast<int>(r.per_image.size());
    finish_report(r);
    return r;
}

std::string eval_report_json(const EvalReport& r) {
    nlohmann::json classes = nlohmann::json::array();
    for (const auto& m : r.classes) classes.push_back(metrics_json(m));
    nlohmann::json images = nlohmann::json::array();
    for (const auto& im : r.per_image) {
        nlohmann::json per_class = nlohmann::json::array();
        for (const auto& m : im.classes) per_class.push_back(metrics_json(m));
        images.push_back({{"name", im.name}, {"mean_f1", im.mean_f1}, {"classes", per_class},
                          {"detection", metrics_json(im.detection)}});
    }
    nlohmann::json j = {{"images", r.images},
                        {"radius_um", r.radius_um},
                        {"matching", matching_name(r.matching)},
                        {"per_image", images},
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
    std::snprintf(line, sizeof line, "%d images, matching radius %.3g um, %s matching\n", r.images, r.radius_um,
                  matching_name(r.matching));
    out += line;
    return out;
}

std::string eval_per_image_table(const EvalReport& r) {
    std::vector<std::size_t> order(r.per_image.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return r.per_image[a].mean_f1 < r.per_image[b].mean_f1; });
    std::string out;
    char cell[128];
    std::snprintf(cell, sizeof cell, "%-60s %7s %7s", "image (worst first)", "nuclei", "found");
    out += cell;
    for (const auto& c : r.classes) {
        std::snprintf(cell, sizeof cell, " %11.11s", (c.name + " F1").c_str());
        out += cell;
    }
    out += "  mean F1\n";
    for (std::size_t i : order) {
        const ImageMetrics& im = r.per_image[i];
        const std::int64_t nuclei = im.detection.true_positives + im.detection.false_negatives;
        const std::int64_t found = im.detection.true_positives + im.detection.false_positives;
        std::snprintf(cell, sizeof cell, "%-60.60s %7lld %7lld", im.name.c_str(), static_cast<long long>(nuclei),
                      static_cast<long long>(found));
        out += cell;
        for (const auto& m : im.classes) {
            const bool empty = m.true_positives + m.false_positives + m.false_negatives == 0;
            if (empty) {
                std::snprintf(cell, sizeof cell, " %11s", "-");
            } else {
                std::snprintf(cell, sizeof cell, " %11.2f", 100.0 * m.f1);
            }
            out += cell;
        }
        std::snprintf(cell, sizeof cell, "  %7.2f\n", 100.0 * im.mean_f1);
        out += cell;
    }
    return out;
}

}  // namespace muse
