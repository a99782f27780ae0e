#include "slide_view.hpp"

#include <algorithm>
#include <cmath>

#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>

#include "overlay_painter.hpp"
#include "slide_raster.hpp"

namespace muse::viewer {
namespace {

constexpr double kMinScale = 1.0 / 512, kMaxScale = 8.0;
constexpr std::size_t kSmoothDiscs = 20000;  // above this many in view, discs are stamped (bench_viewer)

}  // namespace

SlideView::SlideView(AnnotationModel* annotations, QWidget* parent) : QWidget(parent), annotations_(annotations) {
    setMouseTracking(true);
    setMinimumSize(200, 150);
    setFocusPolicy(Qt::StrongFocus);
    connect(annotations_, &AnnotationModel::changed, this, [this] { update(); });
}

void SlideView::set_slide(std::shared_ptr<const SlideSource> slide) {
    cache_.reset();
    slide_ = std::move(slide);
    if (slide_) {
        cache_ = std::make_unique<TileCache>(slide_);
        connect(cache_.get(), &TileCache::tileLoaded, this, [this] { update(); });
    }
    fit_slide();
}

void SlideView::set_detections(DetectionSet set) {
    detections_ = std::move(set);
    ++detections_generation_;
    grid_.build(detections_.detections);
    visible_.assign(detections_.classes.size(), true);
    update();
}

void SlideView::set_class_visible(int class_index, bool visible) {
    if (class_index < 0 || class_index >= static_cast<int>(visible_.size())) return;
    visible_[class_index] = visible;
    update();
}

void SlideView::set_transform(const overlay::ViewTransform& view) {
    fitted_ = false;
    view_ = view;
    view_.scale = std::clamp(view_.scale, kMinScale, kMaxScale);
    update();
    Q_EMIT viewChanged();
}

void SlideView::fit_slide() {
    if (!slide_) {
        set_transform({});
        return;
    }
    const auto& l0 = slide_->levels()[0];
    const double scale = std::min(width() / double(l0.width), height() / double(l0.height));
    set_transform({(l0.width - width() / scale) / 2, (l0.height - height() / scale) / 2, scale});
    fitted_ = true;  // stays fitted through resizes until the user pans or zooms
}

void SlideView::zoom_at(const QPointF& widget_pos, double factor) {
    const Point anchor = view_.to_slide(widget_pos);
    const double scale = std::clamp(view_.scale * factor, kMinScale, kMaxScale);
    set_transform({anchor.x - widget_pos.x() / scale, anchor.y - widget_pos.y() / scale, scale});
}

QRectF SlideView::visible_slide_rect() const {
    return view_.slide_rect(width(), height());
}

double SlideView::slide_mpp_or_default() const {
    return slide_ && slide_->mpp() > 0 ? slide_->mpp() : 0.5;
}

void SlideView::paint_tiles(QPainter& painter) {
    const auto& levels = slide_->levels();
    const int target = level_for_downsample(*slide_, 1.0 / view_.scale);
    const int coarsest = static_cast<int>(levels.size()) - 1;
    const QRectF visible = visible_slide_rect();
    std::vector<TileKey> wanted;
    std::size_t in_view = 0;
    // Coarse levels first: whatever is cached of them stands in while the wanted level loads.
    for (int level = coarsest; level >= target; --level) {
        const double span = TileCache::kTilePx * levels[level].downsample;
        const int c0 = std::max(0, static_cast<int>(std::floor(visible.left() / span)));
        const int r0 = std::max(0, static_cast<int>(std::floor(visible.top() / span)));
        const int c1 = std::min(static_cast<int>((levels[level].width - 1) / TileCache::kTilePx),
                                static_cast<int>(std::floor(visible.right() / span)));
        const int r1 = std::min(static_cast<int>((levels[level].height - 1) / TileCache::kTilePx),
                                static_cast<int>(std::floor(visible.bottom() / span)));
        std::vector<TileKey> keys;
        for (int r = r0; r <= r1; ++r) {
            for (int c = c0; c <= c1; ++c) keys.push_back({level, c, r});
        }
        // Tiles nearest the centre of the view are read first.
        const QPointF centre = visible.center();
        std::sort(keys.begin(), keys.end(), [&](const TileKey& a, const TileKey& b) {
            auto dist = [&](const TileKey& k) {
                const double dx = (k.col + 0.5) * span - centre.x(), dy = (k.row + 0.5) * span - centre.y();
                return dx * dx + dy * dy;
            };
            return dist(a) < dist(b);
        });
        if (level == target || level == coarsest) in_view += keys.size();
        for (const TileKey& k : keys) {
            const QImage tile = cache_->get(k);
            if (tile.isNull()) {
                if (level == target || level == coarsest) wanted.push_back(k);
                continue;
            }
            double x, y, w, h;
            cache_->tile_rect(k, x, y, w, h);
            const QPointF a = view_.to_view(x, y), b = view_.to_view(x + w, y + h);
            painter.drawImage(QRectF(a, b), tile);
        }
    }
    // The coarsest level is small and backs every view: ask for it before the wanted level.
    std::stable_partition(wanted.begin(), wanted.end(), [&](const TileKey& k) { return k.level == coarsest; });
    cache_->want(wanted, in_view);
}

void SlideView::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), QColor(64, 64, 64));
    if (!slide_) {
        painter.setPen(Qt::white);
        painter.drawText(rect(), Qt::AlignCenter, tr("Open a slide (File > Open slide...)"));
        return;
    }
    painter.setRenderHint(QPainter::SmoothPixmapTransform);
    paint_tiles(painter);
    painter.drawImage(0, 0, detection_layer());
    overlay::paint_annotations(painter, view_, annotations_->objects(), detections_.classes);
    if (dragging_ == Qt::LeftButton && tool_ == Tool::Area && press_ && last_) {
        painter.setPen(QPen(QColor(255, 200, 0), 1.5, Qt::DashLine));
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(QRectF(*press_, *last_).normalized());
    }
}

const QImage& SlideView::detection_layer() {
    // Tiles arrive one by one and each repaints; the detections only change with the view.
    const auto dpr = devicePixelRatioF();
    const bool same = !layer_.isNull() && layer_.size() == size() * dpr && layer_view_.x0 == view_.x0 &&
                      layer_view_.y0 == view_.y0 && layer_view_.scale == view_.scale && layer_visible_ == visible_ &&
                      layer_generation_ == detections_generation_;
    if (same) return layer_;
    layer_ = QImage(size() * dpr, QImage::Format_ARGB32_Premultiplied);
    layer_.setDevicePixelRatio(dpr);
    layer_.fill(Qt::transparent);
    layer_view_ = view_;
    layer_visible_ = visible_;
    layer_generation_ = detections_generation_;
    const double r = overlay::nucleus_radius_for(view_.scale, slide_mpp_or_default());
    in_view_.clear();
    grid_.query(visible_slide_rect().adjusted(-r / view_.scale, -r / view_.scale, r / view_.scale, r / view_.scale),
                detections_.detections, in_view_);
    // Smooth discs while they are few; many small ones are stamped into the pixels instead.
    if (in_view_.size() <= kSmoothDiscs) {
        QPainter painter(&layer_);
        overlay::paint_detections(painter, view_, detections_.detections, in_view_, detections_.classes, visible_, {r});
    } else {
        overlay::stamp_detections(layer_, view_, detections_.detections, in_view_, detections_.classes, visible_, {r});
    }
    return layer_;
}

void SlideView::mousePressEvent(QMouseEvent* event) {
    const QPointF pos = event->position();
    if (!slide_) return;
    if (event->button() == Qt::RightButton) {
        annotations_->remove_at(view_.to_slide(pos), 6.0 / view_.scale);
        return;
    }
    if (event->button() == Qt::LeftButton && tool_ == Tool::Point) {
        annotations_->add_point(point_class_, view_.to_slide(pos));
        return;
    }
    dragging_ = event->button();
    press_ = last_ = pos;
}

void SlideView::mouseMoveEvent(QMouseEvent* event) {
    const QPointF pos = event->position();
    const bool pans = (dragging_ == Qt::LeftButton && tool_ == Tool::Pan) || dragging_ == Qt::MiddleButton;
    if (pans && last_) {
        const QPointF d = pos - *last_;
        set_transform({view_.x0 - d.x() / view_.scale, view_.y0 - d.y() / view_.scale, view_.scale});
    }
    if (dragging_ != Qt::NoButton) {
        last_ = pos;
        update();
        return;
    }
    const QString text = slide_ ? describe_at(pos) : QString();
    if (text != hover_ || (!text.isEmpty() && !QToolTip::isVisible())) {
        hover_ = text;
        Q_EMIT hoverChanged(text);
        if (text.isEmpty()) {
            QToolTip::hideText();
        } else {
            QToolTip::showText(event->globalPosition().toPoint(), text, this);
        }
    }
}

void SlideView::mouseReleaseEvent(QMouseEvent* event) {
    if (event->button() != dragging_) return;
    const QPointF pos = event->position();
    if (dragging_ == Qt::LeftButton && tool_ == Tool::Area && press_) {
        const QRectF r = QRectF(*press_, pos).normalized();
        if (r.width() >= 3 && r.height() >= 3) {
            const Point a = view_.to_slide(r.topLeft()), b = view_.to_slide(r.bottomRight());
            annotations_->add_area(overlay::to_polygon(QRectF(QPointF(a.x, a.y), QPointF(b.x, b.y))));
        }
    }
    dragging_ = Qt::NoButton;
    press_.reset();
    last_.reset();
    update();
}

void SlideView::wheelEvent(QWheelEvent* event) {
    zoom_at(event->position(), std::pow(1.25, event->angleDelta().y() / 120.0));
}

void SlideView::resizeEvent(QResizeEvent*) {
    if (fitted_) {
        fit_slide();
    } else {
        update();
    }
}

void SlideView::leaveEvent(QEvent*) {
    if (!hover_.isEmpty()) {
        hover_.clear();
        Q_EMIT hoverChanged(hover_);
    }
}

QString SlideView::describe_at(const QPointF& widget_pos) const {
    const double reach = overlay::nucleus_radius_for(view_.scale, slide_mpp_or_default()) + 3;
    double best = reach * reach;
    const Detection* found = nullptr;
    const Point centre = view_.to_slide(widget_pos);
    const double reach_slide = reach / view_.scale;
    std::vector<std::uint32_t> near;
    grid_.query(QRectF(centre.x - reach_slide, centre.y - reach_slide, 2 * reach_slide, 2 * reach_slide), detections_.detections, near);
    for (std::uint32_t i : near) {
        const Detection& d = detections_.detections[i];
        const auto k = static_cast<std::size_t>(d.class_index);
        if (k < visible_.size() && !visible_[k]) continue;
        const QPointF at = view_.to_view(d.x, d.y);
        const double dist = (at.x() - widget_pos.x()) * (at.x() - widget_pos.x()) + (at.y() - widget_pos.y()) * (at.y() - widget_pos.y());
        if (dist <= best) {
            best = dist;
            found = &d;
        }
    }
    if (!found) return {};
    const auto k = static_cast<std::size_t>(found->class_index);
    const QString name = k < detections_.classes.size() ? QString::fromStdString(detections_.classes[k].name) : QStringLiteral("?");
    const QString score = std::isnan(found->score) ? QStringLiteral("-") : QString::number(found->score, 'f', 2);
    return QStringLiteral("%1 %2 at (%3, %4)").arg(name, score).arg(found->x, 0, 'f', 0).arg(found->y, 0, 'f', 0);
}

QImage SlideView::render_view() {
    return grab().toImage();
}

}  // namespace muse::viewer
