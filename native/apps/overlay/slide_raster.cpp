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

int level_for_downsample(const SlideSource& slide, double downsample) {
    const auto& levels = slide.levels();
    int best = 0;
    for (int i = 1; i < static_cast<int>(levels.size()); ++i) {
        if (levels[i].downsample <= downsample * (1 + 1e-6)) best = i;
    }
    return best;
}

QImage read_view(const SlideSource& slide, const QRectF& rect, const QSize& size) {
    const double downsample = rect.width() / std::max(1, size.width());
    const int level = level_for_downsample(slide, downsample);
    const double ds = slide.levels()[level].downsample;
    const auto x = static_cast<std::int64_t>(std::floor(rect.x()));
    const auto y = static_cast<std::int64_t>(std::floor(rect.y()));
    const int w = std::max(1, static_cast<int>(std::ceil((rect.right() - x) / ds)));
    const int h = std::max(1, static_cast<int>(std::ceil((rect.bottom() - y) / ds)));
    const QImage raw = to_qimage(slide.read_region(level, x, y, w, h));
    // The read started at whole level-0 pixels; crop the fraction off before scaling.
    const QRectF source((rect.x() - x) / ds, (rect.y() - y) / ds, rect.width() / ds, rect.height() / ds);
    QImage out(size, QImage::Format_RGB888);
    out.fill(Qt::white);
    QPainter p(&out);
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    p.drawImage(QRectF(0, 0, size.width(), size.height()), raw, source);
    return out;
}

}  // namespace muse::overlay
