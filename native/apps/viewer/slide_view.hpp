// The slide canvas: pyramid tiles from a background cache, pan and zoom, detections coloured by
// class, the user's annotations, and the mouse tools to draw them.
#pragma once

#include <QPointF>
#include <QWidget>

#include <memory>
#include <optional>
#include <vector>

#include "annotation_model.hpp"
#include "detection_grid.hpp"
#include "muse/geojson.hpp"
#include "muse/slide.hpp"
#include "tile_cache.hpp"
#include "view_transform.hpp"

namespace muse::viewer {

/// UI thread only. Left drag pans (Pan tool), draws a rectangle (Area tool) or clicks a point
/// of the current class (Point tool); the middle button always pans; the right button removes
/// the annotation under the cursor; the wheel zooms about the cursor.
class SlideView : public QWidget {
    Q_OBJECT
public:
    enum class Tool { Pan, Area, Point };

    explicit SlideView(AnnotationModel* annotations, QWidget* parent = nullptr);

    /// Shows `slide` (fitted to the widget); null clears. Detections are kept.
    void set_slide(std::shared_ptr<const SlideSource> slide);
    const SlideSource* slide() const { return slide_.get(); }
    TileCache* tile_cache() { return cache_.get(); }

    void set_detections(DetectionSet set);
    const DetectionSet& detections() const { return detections_; }
    void set_class_visible(int class_index, bool visible);
    const std::vector<bool>& class_visibility() const { return visible_; }

    void set_tool(Tool tool) { tool_ = tool; }
    Tool tool() const { return tool_; }
    /// The class the Point tool adds.
    void set_point_class(const ClassInfo& c) { point_class_ = c; }

    const overlay::ViewTransform& transform() const { return view_; }
    void set_transform(const overlay::ViewTransform& view);
    void fit_slide();
    void zoom_at(const QPointF& widget_pos, double factor);
    /// The level-0 rectangle in view.
    QRectF visible_slide_rect() const;

    /// The nearest shown detection within reach of `widget_pos`: "Tumor 0.93 at (x, y)"; "" if none.
    QString describe_at(const QPointF& widget_pos) const;
    /// The view as it is on screen, overlays included.
    QImage render_view();

Q_SIGNALS:
    void hoverChanged(const QString& text);
    void viewChanged();

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    void paint_tiles(QPainter& painter);
    /// The detections drawn for the current view, redrawn only when the view, the detections
    /// or the visible classes changed.
    const QImage& detection_layer();
    double slide_mpp_or_default() const;

    AnnotationModel* annotations_;
    std::shared_ptr<const SlideSource> slide_;
    std::unique_ptr<TileCache> cache_;
    DetectionSet detections_;
    DetectionGrid grid_;
    std::vector<std::uint32_t> in_view_;  // reused by every paint
    int detections_generation_ = 0;
    QImage layer_;
    overlay::ViewTransform layer_view_;
    std::vector<bool> layer_visible_;
    int layer_generation_ = -1;
    std::vector<bool> visible_;
    overlay::ViewTransform view_;
    Tool tool_ = Tool::Pan;
    bool fitted_ = true;  // the whole slide is in view and follows the widget's size
    ClassInfo point_class_{"Tumor", {200, 0, 0}};
    std::optional<QPointF> press_, last_;
    Qt::MouseButton dragging_ = Qt::NoButton;
    QString hover_;
};

}  // namespace muse::viewer
