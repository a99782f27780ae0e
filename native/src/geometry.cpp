// Point-in-polygon (even-odd) and bounds.
#include "muse/geometry.hpp"

#include <algorithm>

namespace muse {
namespace {

bool in_ring(const std::vector<Point>& ring, double x, double y) {
    bool inside = false;
    for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
        const Point& a = ring[i];
        const Point& b = ring[j];
        if ((a.y > y) != (b.y > y) && x < (b.x - a.x) * (y - a.y) / (b.y - a.y) + a.x) inside = !inside;
    }
    return inside;
}

}  // namespace

bool Polygon::contains(double x, double y) const {
    if (outer.size() < 3 || !in_ring(outer, x, y)) return false;
    for (const auto& h : holes) {
        if (h.size() >= 3 && in_ring(h, x, y)) return false;
    }
    return true;
}

void Polygon::bounds(double& x0, double& y0, double& x1, double& y1) const {
    x0 = y0 = x1 = y1 = 0;
    if (outer.empty()) return;
    x0 = x1 = outer[0].x;
    y0 = y1 = outer[0].y;
    for (const Point& p : outer) {
        x0 = std::min(x0, p.x);
        x1 = std::max(x1, p.x);
        y0 = std::min(y0, p.y);
        y1 = std::max(y1, p.y);
    }
}

}  // namespace muse
