// The per-slide summary of a detection run (see muse/slide_summary.hpp).
#include "muse/slide_summary.hpp"

#include <chrono>
#include <cmath>
#include <ctime>

#include <nlohmann/json.hpp>

#include "muse/errors.hpp"
#include "muse/version.hpp"

namespace muse {

void DetectionTally::add(const Detection& d) {
    if (d.class_index < 0 || static_cast<std::size_t>(d.class_index) >= nuclei_.size()) {
        throw InvalidArgument("a detection's class index " + std::to_string(d.class_index) + " is outside the model's " +
                              std::to_string(nuclei_.size()) + " classes");
    }
    ++nuclei_[static_cast<std::size_t>(d.class_index)];
    score_sums_[static_cast<std::size_t>(d.class_index)] += d.score;
}

namespace {

using nlohmann::json;

std::string utc_now() {
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// JSON has no NaN: a number that cannot be computed (no tissue area) is null.
json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

}  // namespace

std::string slide_summary_json(const SlideSummaryParts& p) {
    if (!p.model || !p.slide || !p.options || !p.run || !p.tally) {
        throw InvalidArgument("slide_summary_json: every part of the summary must be given");
    }
    const SlideDetectSummary& run = *p.run;
    const auto& classes = p.model->classes;
    // Density is per mm^2 of tissue; without a tissue mask, per mm^2 of the processed tiles.
    const double area = run.tissue_mm2 ? *run.tissue_mm2 : run.area_mm2;
    const auto per_mm2 = [&](double n) { return area > 0 ? n / area : std::nan(""); };

    json per_class = json::array();
    for (std::size_t k = 0; k < classes.size(); ++k) {
        const auto n = p.tally->nuclei()[k];
        per_class.push_back({{"name", classes[k].name},
                             {"color", classes[k].color},
                             {"nuclei", n},
                             {"density_per_mm2", number_or_null(per_mm2(static_cast<double>(n)))},
                             {"mean_score", number_or_null(n > 0 ? p.tally->score_sums()[k] / static_cast<double>(n) : std::nan(""))}});
    }
    json provenance = json::parse(p.model->provenance_json, nullptr, false);
    if (provenance.is_discarded()) provenance = json::object();
    const SlideLevel& level0 = p.slide->levels()[0];
    json j = {
        {"format", "muse-slide-summary"},
        {"format_version", 1},
        {"muse_version", MUSE_VERSION_STRING},
        {"finished_utc", utc_now()},
        {"slide", {{"file", p.slide->path().string()}, {"format", p.slide->format()}, {"width_px", level0.width},
                   {"height_px", level0.height}}},
        {"detections_file", p.output.string()},
        {"model", {{"file", p.model_file.string()}, {"arch", p.model->arch}, {"mpp", p.model->mpp}, {"provenance", provenance}}},
        {"mpp", run.slide_mpp},
        {"mpp_source", p.options->mpp > 0 ? "given" : "file"},
        {"level", run.level},
        {"tissue_mm2", run.tissue_mm2 ? json(*run.tissue_mm2) : json(nullptr)},
        {"processed_mm2", run.area_mm2},
        {"density_area", run.tissue_mm2 ? "tissue" : "processed tiles (no tissue mask)"},
        {"tiles", {{"total", run.tiles_total}, {"with_tissue", run.tiles_planned}, {"done", run.tiles_done},
                   {"skipped_no_tissue", run.tiles_total - run.tiles_planned}, {"unreadable", run.tiles_failed}}},
        {"unreadable_examples", run.failures},
        {"nuclei", run.nuclei},
        {"density_per_mm2", number_or_null(per_mm2(static_cast<double>(run.nuclei)))},
        {"classes", per_class},
        {"seconds", run.seconds},
        {"options", {{"score_threshold", p.options->decode.score_threshold > 0 ? json(p.options->decode.score_threshold) : json("model")},
                     {"tta", p.options->decode.tta},
                     {"precision", to_string(resolve_precision(p.options->decode.precision))},
                     {"tile_px", p.options->tile_px},
                     {"tissue_mask", p.options->tissue_mask},
                     {"regions", p.options->regions.size()}}},
    };
    // A slide path that is not UTF-8 (an old file system) is written with U+FFFD for its odd
    // bytes instead of failing after the detections were written.
    return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace muse
