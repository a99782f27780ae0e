// The mapping between level-0 slide pixels and the pixels of a picture or a widget.
#pragma once

#include <QPointF>
#include <QRectF>

#include "muse/geometry.hpp"

namespace muse::overlay {

/// A picture of the slide whose top-left pixel corner is level-0 position (x0, y0), at `scale`
/// picture pixels per level-0 pixel (0.25 = a quarter of full resolution).
struct ViewTransform {
    double x0 = 0.0;
    double y0 = 0.0;
    double scale = 1.0;

    QPointF to_view(double x, double y) const { return {(x - x0) * scale, (y - y0) * scale}; }
    Point to_slide(const QPointF& p) const { return {x0 + p.x() / scale, y0 + p.y() / scale}; }
    /// The level-0 rectangle that a picture of `width` x `height` pixels shows.
    QRectF slide_rect(double width, double height) const { return {x0, y0, width / scale, height / scale}; }
};

/// A rectangle of level-0 pixels as the engine's polygon (an annotated area, a detection region).
inline Polygon to_polygon(const QRectF& r) {
    return {{{r.left(), r.top()}, {r.right(), r.top()}, {r.right(), r.bottom()}, {r.left(), r.bottom()}}, {}};
}

}  // namespace muse::overlay
