// How the viewer feels, in numbers: a cold view's tiles, panning, painting many detections,
// hover. Offscreen (QT_QPA_PLATFORM=offscreen is set when no platform is chosen).
//
//   scripts/make-bench-slide.sh /tmp/bench10k.svs 10000
//   build/bench/bench_viewer /tmp/bench10k.svs --detections 300000
#include <QApplication>
#include <QElapsedTimer>
#include <QThread>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "annotation_model.hpp"
#include "muse/slide.hpp"
#include "slide_view.hpp"

namespace {

using muse::viewer::SlideView;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

/// Repaints until every tile the view wants is in; milliseconds.
double settle(QApplication& app, SlideView& view) {
    QElapsedTimer t;
    t.start();
    for (;;) {
        view.repaint();
        app.processEvents();
        if (view.tile_cache()->pending_count() == 0) {
            view.repaint();  // the repaint may have asked for more
            if (view.tile_cache()->pending_count() == 0) return t.nsecsElapsed() / 1e6;
        }
        QThread::msleep(1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    if (argc < 2 || std::string(argv[1]) == "--help") {
        std::fprintf(stderr, "usage: bench_viewer SLIDE [--detections N] [--width W --height H]\n");
        return 2;
    }
    int n = 300000, width = 1600, height = 1000;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--detections") n = std::atoi(argv[i + 1]);
        else if (a == "--width") width = std::atoi(argv[i + 1]);
        else if (a == "--height") height = std::atoi(argv[i + 1]);
    }
    try {
        std::shared_ptr<const muse::SlideSource> slide = muse::open_slide(argv[1]);
        const auto& l0 = slide->levels()[0];
        muse::viewer::AnnotationModel annotations;
        SlideView view(&annotations);
        view.resize(width, height);
        view.show();
        view.set_slide(slide);
        std::printf("slide %s: %lld x %lld px, %zu levels; view %d x %d px\n", argv[1], static_cast<long long>(l0.width),
                    static_cast<long long>(l0.height), slide->levels().size(), width, height);

        const double fit_ms = settle(app, view);
        std::printf("cold, whole slide in view: %.0f ms, %zu tiles\n", fit_ms, view.tile_cache()->loaded_count());
        const double cx = l0.width / 2.0, cy = l0.height / 2.0;
        view.set_transform({cx - width / 2.0, cy - height / 2.0, 1.0});
        const std::size_t before = view.tile_cache()->loaded_count();
        const double full_ms = settle(app, view);
        std::printf("cold, full resolution: %.0f ms, %zu tiles\n", full_ms, view.tile_cache()->loaded_count() - before);
        std::vector<double> pans;
        for (int i = 0; i < 10; ++i) {
            const auto t = view.transform();
            view.set_transform({t.x0 + 512, t.y0, t.scale});
            pans.push_back(settle(app, view));
        }
        std::printf("pan by 512 px at full resolution: median %.0f ms until every new tile is on screen\n", median(pans));

        std::mt19937 rng(7);
        std::uniform_real_distribution<double> ux(0, double(l0.width)), uy(0, double(l0.height));
        muse::DetectionSet set;
        set.classes = {{"Lymphocyte", {160, 90, 160}}, {"Tumor", {200, 0, 0}}, {"Stroma", {150, 200, 150}}};
        for (int i = 0; i < n; ++i) {
            muse::Detection d;
            d.x = ux(rng);
            d.y = uy(rng);
            d.class_index = i % 3;
            d.score = 0.9f;
            set.detections.push_back(d);
        }
        QElapsedTimer t;
        t.start();
        view.set_detections(std::move(set));
        std::printf("%d detections indexed in %.0f ms\n", n, t.nsecsElapsed() / 1e6);
        for (double scale : {1.0, 0.25, 0.0}) {
            if (scale > 0) {
                view.set_transform({cx - width / 2.0 / scale, cy - height / 2.0 / scale, scale});
            } else {
                view.fit_slide();
            }
            settle(app, view);
            std::vector<double> paints;
            for (int i = 0; i < 15; ++i) {
                t.restart();
                view.repaint();
                paints.push_back(t.nsecsElapsed() / 1e6);
            }
            std::vector<double> moved;
            for (int i = 0; i < 15; ++i) {
                const auto v = view.transform();
                view.set_transform({v.x0 + 1 / v.scale, v.y0, v.scale});  // one screen pixel: the detections are redrawn
                t.restart();
                view.repaint();
                moved.push_back(t.nsecsElapsed() / 1e6);
            }
            std::printf("paint at scale %.4f with detections: median %.1f ms (view unchanged, e.g. a tile arrived), %.1f ms "
                        "(view moved)\n", view.transform().scale, median(paints), median(moved));
        }
        view.set_transform({cx - width / 2.0, cy - height / 2.0, 1.0});
        std::uniform_real_distribution<double> px(0, width), py(0, height);
        std::vector<double> hovers;
        for (int i = 0; i < 1000; ++i) {
            t.restart();
            (void)view.describe_at({px(rng), py(rng)});
            hovers.push_back(t.nsecsElapsed() / 1e3);
        }
        std::printf("hover lookup: median %.1f us\n", median(hovers));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_viewer: %s\n", e.what());
        return 1;
    }
    return 0;
}
