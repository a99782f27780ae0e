// Pseudo-labels proposed for review: confident detections in a ring around annotated regions.
#include <cmath>

#include "muse/errors.hpp"
#include "muse/finetune.hpp"
#include "muse/model.hpp"

namespace muse {

std::vector<Polygon> pseudo_label_rings(const std::vector<AnnotatedRegion>& regions, double ring_px) {
    if (!(ring_px > 0)) throw InvalidArgument("the pseudo-label ring must be wider than 0");
    std::vector<Polygon> rings;
    for (const auto& r : regions) {
        double x0, y0, x1, y1;
        r.area.bounds(x0, y0, x1, y1);
        Polygon ring;
        ring.outer = {{x0 - ring_px, y0 - ring_px}, {x1 + ring_px, y0 - ring_px}, {x1 + ring_px, y1 + ring_px},
                      {x0 - ring_px, y1 + ring_px}};
        ring.holes.push_back(r.area.outer);
        rings.push_back(std::move(ring));
    }
    return rings;
}

void PseudoLabelOptions::validate() const {
    if (!(ring_um > 0) || !std::isfinite(ring_um)) throw InvalidArgument("the pseudo-label ring must be wider than 0 um");
    // The threshold becomes the detection's score threshold: the same range as there.
    if (!(threshold > 0 && threshold < 1)) {
        throw InvalidArgument("the pseudo-label threshold must be in (0, 1), got " + std::to_string(threshold));
    }
    SlideDetectOptions d = detect;
    d.decode.score_threshold = threshold;
    d.validate();
}

SlideDetectSummary pseudo_label(const Model& model, const SlideSource& slide, const std::vector<AnnotatedRegion>& regions,
                                const PseudoLabelOptions& options, const std::function<void(const Detection&)>& sink,
                                const Progress& progress) {
    options.validate();
    if (regions.empty()) throw InvalidArgument("pseudo-labels need at least one annotated region");
    SlideDetectOptions d = options.detect;
    d.mpp = slide_mpp(slide, d.mpp);
    d.decode.score_threshold = options.threshold;
    d.regions = pseudo_label_rings(regions, options.ring_um / d.mpp);
    return detect_slide(model, slide, d, sink, progress);
}

}  // namespace muse
