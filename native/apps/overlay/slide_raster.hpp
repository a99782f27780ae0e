// Slide pixels as Qt images: the pyramid level that serves a zoom, and one region as a QImage.
#pragma once

#include <QImage>
#include <QRectF>
#include <QSize>

#include "muse/image.hpp"
#include "muse/slide.hpp"

namespace muse::overlay {

/// A deep copy of `image` as a QImage (Format_RGB888).
QImage to_qimage(const RgbImage& image);

/// `rect` (level-0 pixels) of the slide as a `size` picture: read from muse::level_for_downsample,
/// then resampled smoothly. Parts outside the slide are white. Throws what read_region throws.
QImage read_view(const SlideSource& slide, const QRectF& rect, const QSize& size);

}  // namespace muse::overlay
