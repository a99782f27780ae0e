#include "slide_raster.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <QPainter>

namespace muse::overlay {

QImage to_qimage(const RgbImage& image) {
    QImage out(image.width, image.height, QImage::Format_RGB888);
    for (int y = 0; y < image.height; ++y) {
        std::memcpy(out.scanLine(y), image.at(0, y), static_cast<std::size_t>(image.width) * 3);
    }
    return out;
}

QImage read_view(const SlideSource& slide, const QRectF& rect, const QSize& size) {
    QImage out(size, QImage::Format_RGB888);
    out.fill(Qt::white);
    const auto& l0 = slide.levels()[0];
    // Only the part on the slide is read: a region far outside costs nothing.
    const QRectF inside = rect.intersected(QRectF(0, 0, double(l0.width), double(l0.height)));
    if (inside.isEmpty() || size.isEmpty()) return out;
    const double downsample = rect.width() / size.width();
    const int level = level_for_downsample(slide, downsample);
    const double ds = slide.levels()[level].downsample;
    const auto x = static_cast<std::int64_t>(std::floor(inside.x()));
    const auto y = static_cast<std::int64_t>(std::floor(inside.y()));
    const int w = std::max(1, static_cast<int>(std::ceil((inside.right() - x) / ds)));
    const int h = std::max(1, static_cast<int>(std::ceil((inside.bottom() - y) / ds)));
    const QImage raw = to_qimage(slide.read_region(level, x, y, w, h));
    // The read started at whole level-0 pixels; the fraction is cropped off while scaling.
    const QRectF source((inside.x() - x) / ds, (inside.y() - y) / ds, inside.width() / ds, inside.height() / ds);
    const double sx = size.width() / rect.width(), sy = size.height() / rect.height();
    const QRectF target((inside.x() - rect.x()) * sx, (inside.y() - rect.y()) * sy, inside.width() * sx, inside.height() * sy);
    QPainter p(&out);
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    p.drawImage(target, raw, source);
    return out;
}

}  // namespace muse::overlay
