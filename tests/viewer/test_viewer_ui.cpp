// The viewer driven as a user drives it (QTest events, offscreen): tiles arrive in the
// background, rectangles and points are drawn with the mouse, detection and fine-tuning run on
// a worker thread with progress and Cancel while the event loop keeps turning.
#include <gtest/gtest.h>

#include <QElapsedTimer>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <fstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "detection_grid.hpp"
#include "main_window.hpp"
#include "muse/errors.hpp"
#include "muse/geojson.hpp"
#include "slide_view.hpp"
#include "support/fake_slides.hpp"
#include "support/synthetic_nuclei.hpp"
#include "support/test_env.hpp"

namespace muse::viewer {
namespace {

/// Runs the event loop until `done` or `timeout_ms`; returns done().
template <typename F>
bool wait_until(F done, int timeout_ms) {
    QElapsedTimer t;
    t.start();
    while (!done() && t.elapsed() < timeout_ms) QTest::qWait(10);
    return done();
}

TEST(SlideView, TilesLoadInTheBackgroundAndShowTheSlidesPixels) {
    AnnotationModel annotations;
    SlideView view(&annotations);
    view.resize(400, 300);
    view.show();
    view.set_slide(test::gradient_pyramid(4096, 4096, 4, 0.5));
    view.set_transform({1000, 500, 1.0});  // full resolution: level 0
    view.repaint();  // the first paint finds no tile and returns at once; loaders start
    ASSERT_TRUE(wait_until([&] { return view.tile_cache()->loaded_count() >= 1 && view.grab().toImage().pixelColor(10, 10).blue() == 128; },
                           10000));
    ASSERT_TRUE(wait_until([&] {
        const QImage shot = view.grab().toImage();
        return shot.pixelColor(10, 10).red() == (1000 + 10) % 256 && shot.pixelColor(390, 290).green() == (500 + 290) % 256;
    }, 10000)) << "level-0 pixels under the whole view";
    EXPECT_EQ(view.tile_cache()->failed_count(), 0u);
    view.zoom_at({200, 150}, 0.1);  // zoom out: a coarser level serves the view
    EXPECT_NEAR(view.transform().scale, 0.1, 1e-9);
    const Point centre = view.transform().to_slide({200, 150});
    EXPECT_NEAR(centre.x, 1200, 1e-6) << "zoom keeps the point under the cursor";
    EXPECT_NEAR(centre.y, 650, 1e-6);
}

TEST(SlideView, AViewOfMoreTilesThanTheCacheHoldsLoadsEachOnceInsteadOfEvictingItself) {
    AnnotationModel annotations;
    SlideView view(&annotations);
    view.resize(400, 300);
    view.show();
    view.set_slide(test::gradient_pyramid(8192, 8192, 1, 0.5));  // one level: 256 tiles at fit zoom
    view.repaint();
    ASSERT_TRUE(wait_until([&] { return view.tile_cache()->loaded_count() >= 256; }, 60000));
    EXPECT_GE(view.tile_cache()->capacity(), 256u);
    for (int i = 0; i < 5; ++i) {
        view.repaint();
        QTest::qWait(50);
    }
    EXPECT_EQ(view.tile_cache()->loaded_count(), 256u) << "no tile of the view was pushed out and read again";
}

TEST(MainWindow, DetectsInAutoPrecisionUnlessToldAndRefusesBf16WhereTheCpuHasNone) {
    MainWindow window;
    EXPECT_EQ(window.precision(), Precision::Auto) << "as `muse detect`: bfloat16 exactly where the CPU has it";
    window.set_precision(Precision::Fp32);
    EXPECT_EQ(window.precision(), Precision::Fp32);
    if (native_bf16_isa().empty()) {
        EXPECT_THROW(window.set_precision(Precision::Bf16), InvalidArgument);
        EXPECT_EQ(window.precision(), Precision::Fp32) << "a refused choice changes nothing";
    } else {
        window.set_precision(Precision::Bf16);
        EXPECT_EQ(window.precision(), Precision::Bf16);
    }
}

TEST(DetectionGrid, FindsExactlyTheDetectionsInARectangle) {
    std::vector<Detection> dets;
    std::uint64_t state = 12345;
    auto next = [&] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<double>(state >> 11) / static_cast<double>(1ULL << 53);
    };
    for (int i = 0; i < 5000; ++i) {
        Detection d;
        d.x = next() * 40000;
        d.y = next() * 9000 + 100;
        dets.push_back(d);
    }
    DetectionGrid grid;
    grid.build(dets);
    for (QRectF r : {QRectF(0, 0, 40000, 10000), QRectF(1234.5, 500, 700, 300), QRectF(-50, -50, 10, 10), QRectF(39990, 9000, 500, 500)}) {
        std::vector<std::uint32_t> got;
        grid.query(r, dets, got);
        std::sort(got.begin(), got.end());
        std::vector<std::uint32_t> want;
        for (std::uint32_t i = 0; i < dets.size(); ++i) {
            if (dets[i].x >= r.left() && dets[i].x <= r.right() && dets[i].y >= r.top() && dets[i].y <= r.bottom()) want.push_back(i);
        }
        EXPECT_EQ(got, want) << r.x() << "," << r.y();
    }
    DetectionGrid empty;
    empty.build({});
    std::vector<std::uint32_t> none;
    empty.query(QRectF(0, 0, 10, 10), {}, none);
    EXPECT_TRUE(none.empty());
}

TEST(SlideView, MouseDrawsRectanglesAndClassifiedPointsRightClickRemovesUndoRestores) {
    AnnotationModel annotations;
    SlideView view(&annotations);
    view.resize(400, 300);
    view.show();
    view.set_slide(test::gradient_pyramid(2048, 2048, 2, 0.5));
    view.set_transform({100, 200, 0.5});  // widget (x, y) = slide (100 + 2x, 200 + 2y)

    view.set_tool(SlideView::Tool::Area);
    QTest::mousePress(&view, Qt::LeftButton, {}, QPoint(50, 40));
    QTest::mouseMove(&view, QPoint(120, 90));
    QTest::mouseRelease(&view, Qt::LeftButton, {}, QPoint(150, 140));
    ASSERT_EQ(annotations.objects().areas.size(), 1u);
    const auto& outer = annotations.objects().areas[0].polygon.outer;
    ASSERT_EQ(outer.size(), 4u);
    EXPECT_DOUBLE_EQ(outer[0].x, 200);
    EXPECT_DOUBLE_EQ(outer[0].y, 280);
    EXPECT_DOUBLE_EQ(outer[2].x, 400);
    EXPECT_DOUBLE_EQ(outer[2].y, 480);

    view.set_tool(SlideView::Tool::Point);
    view.set_point_class({"Lymphocyte", {0, 0, 220}});
    QTest::mouseClick(&view, Qt::LeftButton, {}, QPoint(80, 60));
    view.set_point_class({"Tumor", {200, 0, 0}});
    QTest::mouseClick(&view, Qt::LeftButton, {}, QPoint(100, 100));
    ASSERT_EQ(annotations.objects().points.size(), 2u);
    EXPECT_EQ(annotations.objects().points[0].class_name, "Lymphocyte");
    EXPECT_DOUBLE_EQ(annotations.objects().points[0].points[0].x, 260);
    EXPECT_DOUBLE_EQ(annotations.objects().points[1].points[0].y, 400);
    EXPECT_EQ(view.grab().toImage().pixelColor(100, 100), QColor(200, 0, 0)) << "the point is drawn in its class colour";

    QTest::mouseClick(&view, Qt::RightButton, {}, QPoint(101, 99));
    EXPECT_EQ(annotations.point_count(), 1u) << "right-click removes the point under the cursor";
    QTest::mouseClick(&view, Qt::RightButton, {}, QPoint(140, 130));
    EXPECT_TRUE(annotations.objects().areas.empty()) << "then the area under the cursor";
    ASSERT_TRUE(annotations.undo());
    ASSERT_TRUE(annotations.undo());
    EXPECT_EQ(annotations.objects().areas.size(), 1u);
    EXPECT_EQ(annotations.point_count(), 2u);

    view.set_tool(SlideView::Tool::Pan);
    QTest::mousePress(&view, Qt::LeftButton, {}, QPoint(200, 150));
    QTest::mouseMove(&view, QPoint(150, 100));
    QTest::mouseRelease(&view, Qt::LeftButton, {}, QPoint(150, 100));
    EXPECT_NEAR(view.transform().x0, 200, 1e-9) << "dragging 50 px left moves the view 100 slide px right";
    EXPECT_EQ(annotations.objects().areas.size(), 1u) << "panning draws nothing";
}

TEST(SlideView, HoverNamesTheNearestDetectionsClassAndProbability) {
    AnnotationModel annotations;
    SlideView view(&annotations);
    view.resize(300, 200);
    view.set_slide(test::gradient_pyramid(1024, 1024, 1, 0.5));
    view.set_transform({0, 0, 1.0});
    DetectionSet set;
    set.classes = {{"Tumor", {200, 0, 0}}, {"Stroma", {0, 150, 0}}};
    Detection d;
    d.x = 100;
    d.y = 50;
    d.class_index = 1;
    d.score = 0.87f;
    set.detections.push_back(d);
    view.set_detections(set);
    EXPECT_EQ(view.describe_at({102, 51}).toStdString(), "Stroma 0.87 at (100, 50)");
    EXPECT_TRUE(view.describe_at({150, 120}).isEmpty());
    view.set_class_visible(1, false);
    EXPECT_TRUE(view.describe_at({102, 51}).isEmpty()) << "hidden classes are not described";
}

/// A synthetic H&E-like slide with known nuclei, and the small detector trained on such images.
class ViewerJobs : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new test::TempDir();
        truth_ = new LabelledImage(test::synthetic_nuclei_image(1536, 1536, 400, 77));
        cv::Mat rgb(truth_->image.height, truth_->image.width, CV_8UC3, truth_->image.pixels.data()), bgr;
        cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
        cv::imwrite((*dir_ / "slide.png").string(), bgr);
        test::synthetic_detector().save(*dir_ / "model.muse");
    }
    static void TearDownTestSuite() {
        delete truth_;
        delete dir_;
    }
    void SetUp() override {
        window_ = std::make_unique<MainWindow>();
        window_->set_error_sink([this](const QString& e) { errors_.push_back(e.toStdString()); });
        window_->resize(900, 700);
        window_->show();
        ASSERT_TRUE(window_->open_slide(*dir_ / "slide.png"));
        QSignalSpy loaded(window_.get(), &MainWindow::fileLoaded);
        ASSERT_TRUE(window_->load_model(*dir_ / "model.muse"));
        ASSERT_TRUE(loaded.wait(30000)) << "the model is read in the background";
        ASSERT_TRUE(loaded.last().at(0).toBool());
        ASSERT_FALSE(window_->model_path().empty());
    }
    static test::TempDir* dir_;
    static LabelledImage* truth_;
    std::unique_ptr<MainWindow> window_;
    std::vector<std::string> errors_;
};
test::TempDir* ViewerJobs::dir_ = nullptr;
LabelledImage* ViewerJobs::truth_ = nullptr;

TEST_F(ViewerJobs, DetectionRunsOffTheUiThreadFindsTheNucleiAndFillsTheLegend) {
    // A plain PNG does not say its pixel size: detection refuses, then works once it is given.
    ASSERT_TRUE(window_->start_detect(MainWindow::DetectScope::Slide));
    QSignalSpy finished(window_.get(), &MainWindow::jobFinished);
    ASSERT_TRUE(finished.wait(30000));
    ASSERT_EQ(errors_.size(), 1u);
    EXPECT_NE(errors_[0].find("does not say its pixel size"), std::string::npos) << errors_[0];
    ASSERT_TRUE(window_->set_slide_mpp(0.5));

    // The event loop keeps turning while the model runs: the longest gap between 10 ms ticks.
    QElapsedTimer clock;
    qint64 last = 0, longest_gap = 0, ticks = 0;
    QTimer timer;
    QObject::connect(&timer, &QTimer::timeout, [&] {
        const qint64 now = clock.elapsed();
        longest_gap = std::max(longest_gap, now - last);
        last = now;
        ++ticks;
    });
    QSignalSpy progressed(window_->job(), &EngineJob::progressed);
    clock.start();
    timer.start(10);
    ASSERT_TRUE(window_->start_detect(MainWindow::DetectScope::Slide));
    ASSERT_TRUE(finished.wait(300000));
    const qint64 run_ms = clock.elapsed();
    timer.stop();
    ASSERT_TRUE(finished.last().at(0).toBool()) << (errors_.size() > 1 ? errors_.back() : "");
    EXPECT_GE(progressed.count(), 4) << "one report per tile at least";
    EXPECT_GT(ticks, run_ms / 40) << "run " << run_ms << " ms";
    EXPECT_LT(longest_gap, 500) << "the UI thread never waited on the model (run " << run_ms << " ms)";

    const DetectionSet& shown = window_->view()->detections();
    const double n = static_cast<double>(shown.detections.size()), truth = static_cast<double>(truth_->nuclei.size());
    EXPECT_GT(n, 0.8 * truth) << n << " of " << truth;
    EXPECT_LT(n, 1.2 * truth) << n << " of " << truth;
    int near = 0;
    for (const Detection& d : shown.detections) {
        for (const auto& t : truth_->nuclei) {
            if (std::hypot(d.x - t.x, d.y - t.y) < 6) {
                ++near;
                break;
            }
        }
    }
    EXPECT_GT(near, 0.9 * n) << "detections stand on the nuclei";
    ASSERT_EQ(window_->legend()->count(), static_cast<int>(shown.classes.size()));
    std::int64_t counted = 0;
    for (int i = 0; i < window_->legend()->count(); ++i) {
        const QString text = window_->legend()->item(i)->text();
        counted += text.section('(', 1).section(')', 0, 0).toLongLong();
    }
    EXPECT_EQ(counted, static_cast<std::int64_t>(n)) << "legend counts add up";

    // Unticking a class in the legend hides it on screen; the export shows what is on screen.
    window_->view()->set_transform({0, 0, 1.0});
    const Detection first = shown.detections.front();
    window_->view()->set_transform({first.x - 100, first.y - 100, 1.0});
    QTest::qWait(300);
    ASSERT_TRUE(window_->export_view(*dir_ / "view.png"));
    QImage exported(QString::fromStdString((*dir_ / "view.png").string()));
    ASSERT_FALSE(exported.isNull());
    const ClassInfo& c = shown.classes[first.class_index];
    EXPECT_EQ(exported.pixelColor(100, 100), QColor(c.color[0], c.color[1], c.color[2]));
    window_->legend()->item(first.class_index)->setCheckState(Qt::Unchecked);
    EXPECT_FALSE(window_->view()->class_visibility()[first.class_index]);
    EXPECT_NE(window_->view()->grab().toImage().pixelColor(100, 100), QColor(c.color[0], c.color[1], c.color[2]));
}

TEST_F(ViewerJobs, CancelStopsDetectionAndChangesNothing) {
    ASSERT_TRUE(window_->set_slide_mpp(0.5));
    QSignalSpy finished(window_.get(), &MainWindow::jobFinished);
    QSignalSpy progressed(window_->job(), &EngineJob::progressed);
    ASSERT_TRUE(window_->start_detect(MainWindow::DetectScope::Slide));
    EXPECT_FALSE(window_->start_detect(MainWindow::DetectScope::Slide)) << "one run at a time";
    ASSERT_EQ(errors_.size(), 1u);
    ASSERT_TRUE(progressed.wait(120000));
    QElapsedTimer t;
    t.start();
    auto* cancel = window_->findChild<QPushButton*>("cancel");
    ASSERT_NE(cancel, nullptr);
    ASSERT_TRUE(cancel->isVisible()) << "Cancel shows while a run is going";
    QTest::mouseClick(cancel, Qt::LeftButton);
    ASSERT_TRUE(finished.wait(60000));
    EXPECT_FALSE(finished.last().at(0).toBool());
    EXPECT_TRUE(finished.last().at(1).toBool()) << "reported as cancelled";
    EXPECT_LT(t.elapsed(), 20000) << "stops within a tile batch";
    EXPECT_TRUE(window_->view()->detections().detections.empty()) << "a cancelled run shows nothing";
    EXPECT_FALSE(window_->job()->running());
    EXPECT_FALSE(cancel->isVisible());
}

TEST_F(ViewerJobs, FineTuningOnDrawnAnnotationsSavesANewModelAndUsesIt) {
    ASSERT_TRUE(window_->set_slide_mpp(0.5));
    AnnotationModel& a = *window_->annotations();
    const double x0 = 200, y0 = 200, side = 256;
    a.add_area({{{x0, y0}, {x0 + side, y0}, {x0 + side, y0 + side}, {x0, y0 + side}}, {}});
    const auto classes = test::synthetic_classes();
    for (const auto& n : truth_->nuclei) {
        if (n.x > x0 && n.x < x0 + side && n.y > y0 && n.y < y0 + side) a.add_point(classes[n.class_index], {n.x, n.y});
    }
    ASSERT_GT(a.point_count(), 5u);
    const std::string base_before = test::read_file(*dir_ / "model.muse");

    EXPECT_FALSE(window_->start_finetune(*dir_ / "model.muse", "heads", 2)) << "never over the base model";
    ASSERT_EQ(errors_.size(), 1u);
    EXPECT_NE(errors_[0].find("Choose a new file"), std::string::npos) << errors_[0];

    QSignalSpy finished(window_.get(), &MainWindow::jobFinished);
    window_->set_precision(Precision::Fp32);  // the viewer's precision is fine-tuning's too
    ASSERT_TRUE(window_->start_finetune(*dir_ / "tuned.muse", "heads", 2));
    ASSERT_TRUE(finished.wait(300000));
    ASSERT_TRUE(finished.last().at(0).toBool()) << (errors_.size() > 1 ? errors_.back() : "");
    EXPECT_TRUE(std::filesystem::exists(*dir_ / "tuned.muse"));
    EXPECT_EQ(window_->model_path(), *dir_ / "tuned.muse") << "the new model is the current one";
    EXPECT_EQ(test::read_file(*dir_ / "model.muse"), base_before) << "the base model is untouched";
    const Model tuned = Model::load(*dir_ / "tuned.muse");
    EXPECT_EQ(tuned.config().od_transform.size(), 12u) << "the lab's colours fitted first, by default";
    // Fine-tuning records its precision when it is not float32: float32 here, as the window was set
    // (auto would have been bfloat16 on a CPU with it).
    EXPECT_EQ(tuned.config().provenance_json.find("\"precision\""), std::string::npos) << tuned.config().provenance_json;
}

TEST_F(ViewerJobs, DetectingInTheViewKeepsEarlierDetectionsElsewhereByClassNameAndANewSlideClearsThem) {
    ASSERT_TRUE(window_->set_slide_mpp(0.5));
    // A file whose classes come in another order than the model's (Large first, then Small).
    const auto classes = test::synthetic_classes();
    DetectionWriterOptions o;
    o.classes = {classes[1], classes[0]};
    auto w = DetectionWriter::create(*dir_ / "earlier.geojson", o);
    Detection far, near;
    far.x = far.y = 1400;  // outside the view below
    far.class_index = 0;    // Large, in the file's order
    far.probabilities = {0.9f, 0.1f};
    near.x = near.y = 100;  // inside it
    near.class_index = 1;
    near.probabilities = {0.1f, 0.9f};
    w->write(far);
    w->write(near);
    w->commit();
    QSignalSpy loaded(window_.get(), &MainWindow::fileLoaded);
    ASSERT_TRUE(window_->open_detections(*dir_ / "earlier.geojson"));
    ASSERT_TRUE(loaded.wait(30000));
    ASSERT_EQ(window_->view()->detections().detections.size(), 2u);

    window_->view()->set_transform({0, 0, 1.0});  // the view covers (0, 0) to about (600, 600)
    ASSERT_LT(window_->view()->visible_slide_rect().right(), 1400);
    QSignalSpy finished(window_.get(), &MainWindow::jobFinished);
    ASSERT_TRUE(window_->start_detect(MainWindow::DetectScope::View));
    ASSERT_TRUE(finished.wait(300000));
    ASSERT_TRUE(finished.last().at(0).toBool());
    const DetectionSet& now = window_->view()->detections();
    ASSERT_EQ(now.classes.size(), classes.size());
    EXPECT_EQ(now.classes[0].name, classes[0].name) << "the model's classes, in its order";
    int kept = 0, stale = 0;
    for (const Detection& d : now.detections) {
        if (d.x == 1400 && d.y == 1400) {
            ++kept;
            EXPECT_EQ(now.classes[d.class_index].name, classes[1].name) << "still Large after the remapping";
        }
        stale += d.x == 100 && d.y == 100 ? 1 : 0;
    }
    EXPECT_EQ(kept, 1) << "the detection outside the view stays";
    EXPECT_EQ(stale, 0) << "the one inside the view is replaced by the new run";
    EXPECT_GT(now.detections.size(), 10u);

    window_->annotations()->add_area({{{0, 0}, {50, 0}, {50, 50}, {0, 50}}, {}});
    ASSERT_TRUE(window_->open_slide(*dir_ / "slide.png"));
    EXPECT_TRUE(window_->view()->detections().detections.empty()) << "results belong to the slide they were made on";
    EXPECT_TRUE(window_->annotations()->objects().areas.empty());
    EXPECT_TRUE(window_->annotations()->undo()) << "the annotations can be brought back";
}

}  // namespace
}  // namespace muse::viewer
