// Detections, annotations and a legend drawn over a slide picture with QPainter: one way of
// showing results for `muse render` and the viewer.
//
//   QPainter p(&image);
//   muse::overlay::ViewTransform view{x0, y0, 0.5};
//   muse::overlay::paint_detections(p, view, set.detections, set.classes, {}, style);
//   muse::overlay::paint_legend(p, muse::overlay::legend_entries(set.classes, set.detections, {}), {8, 8});
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <QColor>
#include <QPainter>

#include "muse/annotations.hpp"
#include "muse/detection.hpp"
#include "muse/nucleus_class.hpp"
#include "view_transform.hpp"

namespace muse::overlay {

struct OverlayStyle {
    double nucleus_radius = 4.0;  ///< picture pixels of a detection's disc
};

/// A nucleus radius that reads well at `scale` picture pixels per level-0 pixel: about 3 um on
/// the slide (`mpp` um per level-0 pixel), never under 2.5 or over 12 picture pixels.
double nucleus_radius_for(double scale, double mpp);

QColor class_color(const ClassInfo& c);

/// Each detection as a disc of its class's colour with a thin dark rim. Classes whose entry in
/// `visible` is false are skipped (an empty `visible` shows all). Only detections that fall in
/// the painter's window are drawn.
void paint_detections(QPainter& painter, const ViewTransform& view, const std::vector<Detection>& detections,
                      const std::vector<ClassInfo>& classes, const std::vector<bool>& visible, const OverlayStyle& style);
/// The same for detections[i] for each i of `subset` only (e.g. those in view).
void paint_detections(QPainter& painter, const ViewTransform& view, const std::vector<Detection>& detections,
                      const std::vector<std::uint32_t>& subset, const std::vector<ClassInfo>& classes,
                      const std::vector<bool>& visible, const OverlayStyle& style);

/// The same discs written straight into the pixels of `image` (Format_ARGB32_Premultiplied or
/// RGB32; `image`'s device pixel ratio is honoured): opaque, without smoothing, tens of times
/// faster than QPainter for hundreds of thousands of small discs, as a zoomed-out slide shows.
void stamp_detections(QImage& image, const ViewTransform& view, const std::vector<Detection>& detections,
                      const std::vector<std::uint32_t>& subset, const std::vector<ClassInfo>& classes,
                      const std::vector<bool>& visible, const OverlayStyle& style);

/// Annotated areas as yellow outlines, classified points as small squares of their class's
/// colour (the point's own colour, else the colour of the class of that name in `classes`, else
/// grey) with a white rim.
void paint_annotations(QPainter& painter, const ViewTransform& view, const AnnotationObjects& annotations,
                       const std::vector<ClassInfo>& classes);

struct LegendEntry {
    std::string name;
    QColor color;
    std::int64_t count = 0;
    bool visible = true;
};

/// One entry per class with its number of detections.
std::vector<LegendEntry> legend_entries(const std::vector<ClassInfo>& classes, const std::vector<Detection>& detections,
                                        const std::vector<bool>& visible);

/// A white box with a swatch, the name and the count of each entry (hidden ones greyed out),
/// its top-left corner at `corner`. Returns the box drawn.
QRectF paint_legend(QPainter& painter, const std::vector<LegendEntry>& entries, const QPointF& corner);

}  // namespace muse::overlay
