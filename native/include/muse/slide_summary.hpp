// The numbers of one slide's detection run, for cohort tables: `muse detect --summary`.
//
//   muse::DetectionTally tally(model.config().classes.size());
//   auto s = muse::detect_slide(model, *slide, options, [&](const muse::Detection& d) { tally.add(d); writer->write(d); });
//   muse::write_file_atomically("slide.summary.json",
//                               muse::slide_summary_json({model_path, &model.config(), slide.get(), &options, &s, &tally}));
//
// Thread-safety: a tally is fed by one thread at a time (detect_slide's sink is).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "muse/detect.hpp"
#include "muse/detection.hpp"
#include "muse/model.hpp"
#include "muse/slide.hpp"

namespace muse {

/// Nuclei and the sum of their scores, per class.
class DetectionTally {
public:
    explicit DetectionTally(std::size_t classes) : nuclei_(classes, 0), score_sums_(classes, 0.0) {}
    void add(const Detection& d);
    const std::vector<std::int64_t>& nuclei() const { return nuclei_; }
    const std::vector<double>& score_sums() const { return score_sums_; }

private:
    std::vector<std::int64_t> nuclei_;
    std::vector<double> score_sums_;
};

/// What a summary is made of; every pointer must be set.
struct SlideSummaryParts {
    std::filesystem::path model_file;
    const ModelConfig* model = nullptr;
    const SlideSource* slide = nullptr;
    const SlideDetectOptions* options = nullptr;
    const SlideDetectSummary* run = nullptr;
    const DetectionTally* tally = nullptr;
    std::filesystem::path output;  ///< the detections file written with it (may be empty)
};

/// The summary as JSON ("format": "muse-slide-summary", version 1): the slide and the pixel size
/// used, the model and its provenance, the muse version, tissue area (mm^2), tiles planned /
/// done / unreadable, nuclei per class with their density per mm^2 of tissue and mean score,
/// the seconds taken and when it finished (UTC). docs/cohort.md lists the fields.
std::string slide_summary_json(const SlideSummaryParts& parts);

}  // namespace muse
