#include "overlay_painter.hpp"

#include <algorithm>
#include <cmath>

#include <QFontMetricsF>
#include <QPolygonF>

namespace muse::overlay {
namespace {

QPolygonF ring_in_view(const ViewTransform& view, const std::vector<Point>& ring) {
    QPolygonF out;
    for (const Point& p : ring) out << view.to_view(p.x, p.y);
    return out;
}

QColor color_of_class_named(const std::vector<ClassInfo>& classes, const ClassifiedPoints& points) {
    if (points.has_color) return QColor(points.color[0], points.color[1], points.color[2]);
    for (const ClassInfo& c : classes) {
        if (c.name == points.class_name) return class_color(c);
    }
    return QColor(160, 160, 160);
}

}  // namespace

double nucleus_radius_for(double scale, double mpp) {
    const double um = mpp > 0 ? mpp : 0.5;
    return std::clamp(3.0 / um * scale, 2.5, 12.0);
}

QColor class_color(const ClassInfo& c) {
    return QColor(c.color[0], c.color[1], c.color[2]);
}

namespace {

/// Paints detections[index(i)] for i in [0, n).
template <typename Index>
void paint_discs(QPainter& painter, const ViewTransform& view, const std::vector<Detection>& detections, std::size_t n,
                 Index index, const std::vector<ClassInfo>& classes, const std::vector<bool>& visible, const OverlayStyle& style) {
    painter.save();
    painter.setRenderHint(QPainter::Antialiasing);
    const double r = style.nucleus_radius;
    const QRectF window = QRectF(painter.window()).adjusted(-r, -r, r, r);
    std::vector<QBrush> brushes;
    for (const ClassInfo& c : classes) brushes.emplace_back(class_color(c));
    painter.setPen(QPen(QColor(0, 0, 0, 140), 1.0));
    for (std::size_t i = 0; i < n; ++i) {
        const Detection& d = detections[index(i)];
        const auto k = static_cast<std::size_t>(d.class_index);
        if (k >= brushes.size() || (!visible.empty() && k < visible.size() && !visible[k])) continue;
        const QPointF at = view.to_view(d.x, d.y);
        if (!window.contains(at)) continue;
        painter.setBrush(brushes[k]);
        painter.drawEllipse(at, r, r);
    }
    painter.restore();
}

}  // namespace

void paint_detections(QPainter& painter, const ViewTransform& view, const std::vector<Detection>& detections,
                      const std::vector<ClassInfo>& classes, const std::vector<bool>& visible, const OverlayStyle& style) {
    paint_discs(painter, view, detections, detections.size(), [](std::size_t i) { return i; }, classes, visible, style);
}

void paint_detections(QPainter& painter, const ViewTransform& view, const std::vector<Detection>& detections,
                      const std::vector<std::uint32_t>& subset, const std::vector<ClassInfo>& classes,
                      const std::vector<bool>& visible, const OverlayStyle& style) {
    paint_discs(painter, view, detections, subset.size(), [&](std::size_t i) { return subset[i]; }, classes, visible, style);
}

void stamp_detections(QImage& image, const ViewTransform& view, const std::vector<Detection>& detections,
                      const std::vector<std::uint32_t>& subset, const std::vector<ClassInfo>& classes,
                      const std::vector<bool>& visible, const OverlayStyle& style) {
    if (image.format() != QImage::Format_ARGB32_Premultiplied && image.format() != QImage::Format_RGB32) {
        image.convertTo(QImage::Format_ARGB32_Premultiplied);
    }
    const double dpr = image.devicePixelRatio();
    const double r = style.nucleus_radius * dpr;
    const int reach = static_cast<int>(std::ceil(r));
    struct Offset {
        int dx, dy;
        bool rim;
    };
    std::vector<Offset> disc;
    for (int dy = -reach; dy <= reach; ++dy) {
        for (int dx = -reach; dx <= reach; ++dx) {
            const double d2 = dx * dx + dy * dy;
            if (d2 <= r * r) disc.push_back({dx, dy, d2 > (r - 1) * (r - 1)});
        }
    }
    std::vector<QRgb> fill, rim;
    for (const ClassInfo& c : classes) {
        fill.push_back(qRgb(c.color[0], c.color[1], c.color[2]));
        rim.push_back(qRgb(c.color[0] * 45 / 100, c.color[1] * 45 / 100, c.color[2] * 45 / 100));  // the painter's dark rim
    }
    const int w = image.width(), h = image.height();
    for (std::uint32_t i : subset) {
        const Detection& d = detections[i];
        const auto k = static_cast<std::size_t>(d.class_index);
        if (k >= fill.size() || (!visible.empty() && k < visible.size() && !visible[k])) continue;
        const QPointF at = view.to_view(d.x, d.y);
        const int cx = static_cast<int>(std::lround(at.x() * dpr)), cy = static_cast<int>(std::lround(at.y() * dpr));
        if (cx < -reach || cy < -reach || cx >= w + reach || cy >= h + reach) continue;
        for (const Offset& o : disc) {
            const int x = cx + o.dx, y = cy + o.dy;
            if (x < 0 || y < 0 || x >= w || y >= h) continue;
            reinterpret_cast<QRgb*>(image.scanLine(y))[x] = o.rim ? rim[k] : fill[k];
        }
    }
}

void paint_annotations(QPainter& painter, const ViewTransform& view, const AnnotationObjects& annotations,
                       const std::vector<ClassInfo>& classes) {
    painter.save();
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setBrush(Qt::NoBrush);
    painter.setPen(QPen(QColor(255, 200, 0), 2.0));
    for (const AnnotationArea& a : annotations.areas) {
        painter.drawPolygon(ring_in_view(view, a.polygon.outer));
        for (const auto& hole : a.polygon.holes) painter.drawPolygon(ring_in_view(view, hole));
    }
    painter.setPen(QPen(Qt::white, 1.5));
    for (const ClassifiedPoints& c : annotations.points) {
        painter.setBrush(color_of_class_named(classes, c));
        for (const Point& p : c.points) {
            const QPointF at = view.to_view(p.x, p.y);
            painter.drawRect(QRectF(at.x() - 4, at.y() - 4, 8, 8));
        }
    }
    painter.restore();
}

std::vector<LegendEntry> legend_entries(const std::vector<ClassInfo>& classes, const std::vector<Detection>& detections,
                                        const std::vector<bool>& visible) {
    std::vector<LegendEntry> out;
    for (std::size_t i = 0; i < classes.size(); ++i) {
        out.push_back({classes[i].name, class_color(classes[i]), 0, visible.empty() || i >= visible.size() || visible[i]});
    }
    for (const Detection& d : detections) {
        if (d.class_index >= 0 && static_cast<std::size_t>(d.class_index) < out.size()) ++out[d.class_index].count;
    }
    return out;
}

QRectF paint_legend(QPainter& painter, const std::vector<LegendEntry>& entries, const QPointF& corner) {
    painter.save();
    const QFontMetricsF fm(painter.font());
    const double line = std::max(16.0, fm.height() + 4), pad = 6, swatch = 12;
    double text_width = 0;
    std::vector<QString> texts;
    for (const LegendEntry& e : entries) {
        texts.push_back(QString::fromStdString(e.name) + QString("  %1").arg(e.count));
        text_width = std::max(text_width, fm.horizontalAdvance(texts.back()));
    }
    const QRectF box(corner, QSizeF(pad * 3 + swatch + text_width, pad * 2 + line * entries.size()));
    painter.setPen(QPen(QColor(80, 80, 80), 1));
    painter.setBrush(QColor(255, 255, 255, 230));
    painter.drawRect(box);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const double y = box.top() + pad + line * i;
        const QColor c = entries[i].visible ? entries[i].color : QColor(210, 210, 210);
        painter.setPen(QPen(QColor(0, 0, 0, 140), 1));
        painter.setBrush(c);
        painter.drawRect(QRectF(box.left() + pad, y + (line - swatch) / 2, swatch, swatch));
        painter.setPen(entries[i].visible ? Qt::black : QColor(150, 150, 150));
        painter.drawText(QRectF(box.left() + pad * 2 + swatch, y, text_width + pad, line), Qt::AlignVCenter | Qt::AlignLeft, texts[i]);
    }
    painter.restore();
    return box;
}

}  // namespace muse::overlay
