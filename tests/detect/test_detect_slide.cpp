// Whole-slide detection with a detector trained on synthetic nuclei: tiles agree with one large
// tile, coordinates are level-0 at any slide resolution, regions, tissue, failures, MPP rules.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <random>
#include <thread>

#include "muse/detect.hpp"
#include "muse/errors.hpp"
#include "muse/eval.hpp"
#include "muse/slide.hpp"
#include "slide/sources.hpp"
#include "support/fake_slides.hpp"
#include "support/synthetic_nuclei.hpp"

namespace muse {
namespace {

std::vector<Detection> run(const Model& m, const SlideSource& slide, SlideDetectOptions o, SlideDetectSummary* s = nullptr) {
    std::vector<Detection> out;
    const SlideDetectSummary sum = detect_slide(m, slide, o, [&](const Detection& d) { out.push_back(d); });
    if (s) *s = sum;
    return out;
}

std::vector<Point> points(const std::vector<Detection>& d) {
    std::vector<Point> p;
    for (const auto& x : d) p.push_back({x.x, x.y});
    return p;
}

std::vector<Point> points(const std::vector<LabelledPoint>& d) {
    std::vector<Point> p;
    for (const auto& x : d) p.push_back({x.x, x.y});
    return p;
}

SlideDetectOptions small_tiles() {
    SlideDetectOptions o;
    o.tile_px = 128;
    o.overlap_um = 12;  // 24 px margins at 0.5 um/px
    o.batch = 3;
    return o;
}

TEST(DetectSlide, RunsAreIdenticalWhicheverReaderFinishesFirst) {
    const Model m = test::synthetic_detector();
    const LabelledImage img = test::synthetic_nuclei_image(416, 416, 150, 91);
    auto base = slide::image_source(img.image, 0.5, "synthetic");
    // Readers that take a different random time for each tile on each run: tiles arrive in a
    // different order every time.
    std::atomic<unsigned> calls{0};
    auto jittery = make_pixel_feed("jittery", base->levels(), 0.5, [&](int level, std::int64_t x, std::int64_t y, int w, int h) {
        std::mt19937 rng(calls.fetch_add(1) * 2654435761u + static_cast<unsigned>(std::hash<std::thread::id>()(std::this_thread::get_id())));
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 4000));
        return base->read_region(level, x, y, w, h);
    });
    SlideDetectOptions o = small_tiles();
    o.reader_threads = 4;
    o.tissue_mask = false;
    const auto first = run(m, *jittery, o);
    ASSERT_GT(first.size(), 100u);
    for (int attempt = 0; attempt < 3; ++attempt) {
        const auto again = run(m, *jittery, o);
        ASSERT_EQ(again.size(), first.size());
        for (std::size_t i = 0; i < first.size(); ++i) {
            // The same nuclei in the same order; the numbers agree to the kernels' float rounding
            // (LibTorch's threaded kernels do not promise bit-identical sums from run to run).
            ASSERT_NEAR(again[i].x, first[i].x, 1e-4) << "detection " << i << ", run " << attempt + 2;
            ASSERT_NEAR(again[i].y, first[i].y, 1e-4);
            ASSERT_EQ(again[i].class_index, first[i].class_index);
            ASSERT_NEAR(again[i].score, first[i].score, 1e-5);
            ASSERT_EQ(again[i].probabilities.size(), first[i].probabilities.size());
            for (std::size_t k = 0; k < first[i].probabilities.size(); ++k) {
                ASSERT_NEAR(again[i].probabilities[k], first[i].probabilities[k], 1e-5);
            }
        }
    }
}

TEST(DetectSlide, TilesAgreeWithOneLargeTile) {
    const Model m = test::synthetic_detector();
    const LabelledImage img = test::synthetic_nuclei_image(416, 416, 150, 77);
    auto slide = slide::image_source(img.image, 0.5, "synthetic");
    SlideDetectSummary s;
    const auto tiled = run(m, *slide, small_tiles(), &s);
    const auto whole = detect_image(m, img.image, 0.5);
    EXPECT_GT(s.tiles_done, 9);
    ASSERT_GT(whole.size(), 100u);
    // Tiles see less context than one large tile, so a few borderline nuclei may differ; but
    // positions must not move with the tiling (no systematic shift), and none may be doubled.
    const auto pairs = match_points(points(tiled), points(whole), 2.0);
    double dx = 0, dy = 0;
    for (const auto& [i, j] : pairs) {
        dx += tiled[i].x - whole[j].x;
        dy += tiled[i].y - whole[j].y;
    }
    dx /= static_cast<double>(pairs.size());
    dy /= static_cast<double>(pairs.size());
    std::cout << "[ tiles    ] " << tiled.size() << " tiled, " << whole.size() << " one tile, " << pairs.size()
              << " within 2 px, mean shift (" << dx << ", " << dy << ") px\n";
    EXPECT_GE(static_cast<double>(pairs.size()), 0.93 * static_cast<double>(whole.size()));
    EXPECT_LT(std::abs(dx), 0.25);
    EXPECT_LT(std::abs(dy), 0.25);
    EXPECT_LE(tiled.size(), whole.size() + whole.size() / 30) << "no nucleus twice at the seams";
    for (const auto& [i, j] : pairs) EXPECT_EQ(tiled[i].class_index, whole[j].class_index);
}

TEST(DetectSlide, CoordinatesAreLevel0AtAnySlideResolution) {
    const Model m = test::synthetic_detector();
    for (double mpp : {0.5, 0.25}) {
        // The same tissue scanned at 20x and 40x: nuclei are twice as many pixels wide at 40x.
        const int side = static_cast<int>(320 * 0.5 / mpp);
        const LabelledImage img = test::synthetic_nuclei_image(side, side, 90, 5, mpp);
        auto slide = slide::image_source(img.image, mpp, "synthetic");
        SlideDetectSummary s;
        const auto found = run(m, *slide, small_tiles(), &s);
        EvalImage e;
        e.mpp = mpp;
        e.truth = img.nuclei;
        for (const auto& d : found) e.predictions.push_back({d.x, d.y, d.class_index});
        const EvalReport r = evaluate({e}, {"Small", "Large"}, {});
        std::cout << "[ mpp      ] " << mpp << " um/px: F1 " << r.mean_f1 << " (" << found.size() << " of "
                  << img.nuclei.size() << ")\n";
        EXPECT_GT(r.mean_f1, 0.85) << eval_report_table(r);
        EXPECT_DOUBLE_EQ(s.slide_mpp, mpp);
    }
}

TEST(DetectSlide, RegionsAndTissueLimitTheWork) {
    const Model m = test::synthetic_detector();
    LabelledImage img = test::synthetic_nuclei_image(400, 400, 100, 9);
    // Wipe the right half to glass.
    for (int y = 0; y < 400; ++y) {
        for (int x = 200; x < 400; ++x) std::fill(img.image.at(x, y), img.image.at(x, y) + 3, std::uint8_t{250});
    }
    auto slide = slide::image_source(img.image, 0.5, "half-glass");
    SlideDetectSummary all;
    run(m, *slide, small_tiles(), &all);
    EXPECT_LT(all.tiles_planned, all.tiles_total) << "tiles of pure glass are skipped";
    SlideDetectOptions o = small_tiles();
    o.regions = {Polygon{{{0, 0}, {150, 0}, {150, 150}, {0, 150}}, {}}};
    const auto inside = run(m, *slide, o);
    ASSERT_FALSE(inside.empty());
    for (const auto& d : inside) EXPECT_TRUE(o.regions[0].contains(d.x, d.y)) << d.x << ", " << d.y;
}

TEST(DetectSlide, UnreadableTilesAreSkippedCountedAndTheRunGoesOn) {
    const Model m = test::synthetic_detector();
    const LabelledImage img = test::synthetic_nuclei_image(400, 400, 100, 11);
    auto slide = test::failing_slide(slide::image_source(img.image, 0.5, "damaged"), 200, 200);
    SlideDetectSummary s;
    const auto found = run(m, *slide, small_tiles(), &s);
    EXPECT_GE(s.tiles_failed, 1);
    EXPECT_EQ(s.tiles_done + s.tiles_failed, s.tiles_planned);
    ASSERT_FALSE(s.failures.empty());
    EXPECT_NE(s.failures[0].find("damaged JPEG tile"), std::string::npos) << s.failures[0];
    EXPECT_GT(found.size(), 50u);
}

TEST(DetectSlide, UnknownMppIsAnErrorUnlessGiven) {
    const Model m = test::synthetic_detector();
    const LabelledImage img = test::synthetic_nuclei_image(200, 200, 20, 12);
    auto slide = slide::image_source(img.image, 0.0, "no-mpp.png");
    try {
        run(m, *slide, small_tiles());
        FAIL();
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("does not say its pixel size (MPP); give it with --mpp"), std::string::npos);
    }
    SlideDetectOptions o = small_tiles();
    o.mpp = 0.5;
    EXPECT_FALSE(run(m, *slide, o).empty());
    // Absurd pixel sizes (a typo, a wrong unit) are errors, not an empty result.
    for (double absurd : {1e308, 1e-9, 0.01, 250.0}) {
        o.mpp = absurd;
        try {
            run(m, *slide, o);
            FAIL() << absurd;
        } catch (const InvalidArgument& e) {
            EXPECT_NE(std::string(e.what()).find("is outside 0.05-100 um/px"), std::string::npos) << e.what();
        }
    }
    auto tiny = slide::image_source(img.image, 1e-4, "tiny-mpp.png");  // from the file
    EXPECT_THROW(run(m, *tiny, small_tiles()), InvalidArgument);
}

TEST(DetectSlide, CancellationStopsTheRun) {
    const Model m = test::synthetic_detector();
    const LabelledImage img = test::synthetic_nuclei_image(600, 600, 200, 13);
    auto slide = slide::image_source(img.image, 0.5, "big");
    Progress progress([&](const ProgressUpdate& u) {
        if (u.done >= 2) progress.cancel();
    });
    std::size_t seen = 0;
    EXPECT_THROW(detect_slide(m, *slide, small_tiles(), [&](const Detection&) { ++seen; }, progress), Cancelled);
}

}  // namespace
}  // namespace muse
