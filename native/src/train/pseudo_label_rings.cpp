// The areas around annotated regions where pseudo-labels are proposed for review.
#include "muse/errors.hpp"
#include "muse/finetune.hpp"

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

}  // namespace muse
