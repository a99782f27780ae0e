// Overlay drawing and slide pictures: a detection paints its class's colour at its position at
// any zoom; hidden classes paint nothing; the legend counts; read_view picks the level.
#include <gtest/gtest.h>

#include <QImage>
#include <QPainter>

#include "overlay_painter.hpp"
#include "slide_raster.hpp"
#include "support/fake_slides.hpp"

namespace muse {
namespace {

const std::vector<ClassInfo> kClasses = {{"Tumor", {200, 0, 0}}, {"Lymphocyte", {0, 0, 220}}};

Detection at(double x, double y, int k) {
    Detection d;
    d.x = x;
    d.y = y;
    d.class_index = k;
    d.score = 0.8f;
    return d;
}

QRgb rgb(const ClassInfo& c) { return qRgb(c.color[0], c.color[1], c.color[2]); }

TEST(OverlayPainter, ADetectionPaintsItsClassColourAtItsPositionAtAnyZoom) {
    const std::vector<Detection> dets = {at(1000, 2000, 0), at(1100, 2050, 1)};
    for (double scale : {0.05, 0.25, 1.0, 3.0}) {
        QImage image(400, 300, QImage::Format_RGB32);
        image.fill(Qt::white);
        // The view puts (1000, 2000) at picture pixel (150, 100).
        const overlay::ViewTransform view{1000 - 150 / scale, 2000 - 100 / scale, scale};
        {
            QPainter p(&image);
            overlay::paint_detections(p, view, dets, kClasses, {}, {overlay::nucleus_radius_for(scale, 0.5)});
        }
        EXPECT_EQ(image.pixel(150, 100), rgb(kClasses[0])) << "scale " << scale;
        const QPointF second = view.to_view(1100, 2050);
        if (second.x() < 400 && second.y() < 300) {
            EXPECT_EQ(image.pixel(second.toPoint()), rgb(kClasses[1])) << "scale " << scale;
        }
        EXPECT_EQ(image.pixel(5, 295), qRgb(255, 255, 255)) << "nothing painted away from detections";

        // Stamped into the pixels (the viewer's way for many detections): the same colours.
        QImage layer(400, 300, QImage::Format_ARGB32_Premultiplied);
        layer.fill(Qt::transparent);
        overlay::stamp_detections(layer, view, dets, {0, 1}, kClasses, {}, {overlay::nucleus_radius_for(scale, 0.5)});
        EXPECT_EQ(layer.pixel(150, 100), rgb(kClasses[0])) << "stamped, scale " << scale;
        if (second.x() < 400 && second.y() < 300) EXPECT_EQ(layer.pixel(second.toPoint()), rgb(kClasses[1]));
        EXPECT_EQ(qAlpha(layer.pixel(5, 295)), 0);
    }
}

TEST(OverlayPainter, StampingSkipsHiddenClassesAndIsSafeAtTheEdges) {
    QImage layer(50, 40, QImage::Format_ARGB32_Premultiplied);
    layer.fill(Qt::transparent);
    const std::vector<Detection> dets = {at(0, 0, 0), at(49, 39, 0), at(25, 20, 1), at(-1000, 5, 0), at(1e9, 1e9, 0)};
    overlay::stamp_detections(layer, {}, dets, {0, 1, 2, 3, 4}, kClasses, {true, false}, {6});
    EXPECT_EQ(layer.pixel(0, 0), rgb(kClasses[0])) << "a disc cut by the edge is drawn where it can be";
    EXPECT_EQ(layer.pixel(49, 39), rgb(kClasses[0]));
    EXPECT_EQ(qAlpha(layer.pixel(25, 20)), 0) << "Lymphocyte is hidden";
}

TEST(OverlayPainter, HiddenClassesPaintNothingAndTheLegendCountsEveryClass) {
    QImage image(200, 200, QImage::Format_RGB32);
    image.fill(Qt::white);
    const std::vector<Detection> dets = {at(50, 50, 0), at(150, 150, 1), at(160, 20, 1)};
    {
        QPainter p(&image);
        overlay::paint_detections(p, {}, dets, kClasses, {true, false}, {5});
    }
    EXPECT_EQ(image.pixel(50, 50), rgb(kClasses[0]));
    EXPECT_EQ(image.pixel(150, 150), qRgb(255, 255, 255)) << "Lymphocyte is hidden";
    const auto entries = overlay::legend_entries(kClasses, dets, {true, false});
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].count, 1);
    EXPECT_EQ(entries[1].count, 2);
    EXPECT_FALSE(entries[1].visible);
    QImage legend(300, 100, QImage::Format_RGB32);
    legend.fill(Qt::black);
    QRectF box;
    {
        QPainter p(&legend);
        box = overlay::paint_legend(p, entries, {10, 10});
    }
    EXPECT_GT(box.width(), 20);
    EXPECT_GT(box.height(), 30);
    bool red_swatch = false;
    for (int y = 10; y < box.bottom(); ++y) red_swatch = red_swatch || legend.pixel(22, y) == rgb(kClasses[0]);
    EXPECT_TRUE(red_swatch);
}

TEST(OverlayPainter, AnnotationsDrawAreasAndPointsInTheirClassColour) {
    QImage image(200, 200, QImage::Format_RGB32);
    image.fill(Qt::white);
    AnnotationObjects a;
    a.areas.push_back({"", Polygon{{{20, 20}, {180, 20}, {180, 180}, {20, 180}}, {}}});
    a.points.push_back({"Lymphocyte", {0, 0, 0}, false, {{100, 100}}});  // colour from the class list
    {
        QPainter p(&image);
        overlay::paint_annotations(p, {}, a, kClasses);
    }
    EXPECT_EQ(image.pixel(100, 100), rgb(kClasses[1]));
    EXPECT_EQ(image.pixel(100, 20), qRgb(255, 200, 0)) << "the area's yellow outline";
    EXPECT_EQ(image.pixel(60, 60), qRgb(255, 255, 255));
}

TEST(SlideRaster, ReadViewUsesTheCoarsestSufficientLevelAndTheSlidesPixels) {  // level_for_downsample is the engine's
    const auto slide = test::gradient_pyramid(2048, 1024, 3, 0.5);  // downsamples 1, 2, 4
    EXPECT_EQ(level_for_downsample(*slide, 1.0), 0);
    EXPECT_EQ(level_for_downsample(*slide, 3.0), 1);
    EXPECT_EQ(level_for_downsample(*slide, 100.0), 2);
    EXPECT_EQ(level_for_downsample(*slide, 0.25), 0);
    const QImage full = overlay::read_view(*slide, QRectF(300, 40, 64, 32), QSize(64, 32));
    ASSERT_EQ(full.size(), QSize(64, 32));
    for (auto [x, y] : {std::pair{0, 0}, {10, 5}, {63, 31}}) {
        const QColor c = full.pixelColor(x, y);
        EXPECT_EQ(c.red(), (300 + x) % 256) << x << "," << y;
        EXPECT_EQ(c.green(), (40 + y) % 256);
        EXPECT_EQ(c.blue(), 128);
    }
    const QImage overview = overlay::read_view(*slide, QRectF(0, 0, 2048, 1024), QSize(512, 256));
    EXPECT_EQ(overview.size(), QSize(512, 256));
    EXPECT_NEAR(overview.pixelColor(1, 1).red(), 5.5, 1.5) << "a 4x4 block average near (4..7, 4..7)";
}

}  // namespace
}  // namespace muse
