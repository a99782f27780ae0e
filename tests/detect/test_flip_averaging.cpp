// Test-time flip averaging: the averaged output is exactly equivariant to the flips, keeps the
// detector's accuracy, and is used by whole-image and whole-slide detection when asked for.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "detect/flip_averaging.hpp"
#include "muse/detect.hpp"
#include "muse/eval.hpp"
#include "slide/sources.hpp"
#include "support/synthetic_nuclei.hpp"

namespace muse {
namespace {

TEST(FlipAveraging, OutputOfAMirroredTileIsTheMirroredOutput) {
    const Model m = Model::create_untrained(test::synthetic_detector_config(32), 11);
    const at::Tensor rgb = at::randint(0, 256, {2, 64, 64, 3}, at::kByte);
    const Proposals a = detect::predict_with_flips(m, rgb);
    const Proposals b = detect::predict_with_flips(m, at::flip(rgb, {2}).contiguous());  // mirrored left-right
    const std::int64_t side = 64 / m.config().detection.proposal_stride_px;
    auto grid = [&](const at::Tensor& t) { return t.reshape({2, side, side, t.size(2)}); };
    // b's proposal grid and dense map, mirrored back, must equal a's; its x coordinates are 63 - x.
    EXPECT_TRUE(at::allclose(at::flip(grid(b.probs), {2}), grid(a.probs), 1e-4, 1e-5));
    EXPECT_TRUE(at::allclose(at::flip(b.dense_map, {3}), a.dense_map, 1e-4, 1e-5));
    const at::Tensor bp = at::flip(grid(b.points), {2});
    EXPECT_TRUE(at::allclose(63.0 - bp.select(3, 0), grid(a.points).select(3, 0), 1e-4, 1e-3));
    EXPECT_TRUE(at::allclose(bp.select(3, 1), grid(a.points).select(3, 1), 1e-4, 1e-3));
    // And it is not the plain prediction (the mirrored passes contribute).
    EXPECT_FALSE(at::allclose(a.probs, m.predict(rgb).probs, 1e-6, 1e-7));
    EXPECT_TRUE(at::equal(detect::predict_tiles(m, rgb, false).probs, m.predict(rgb).probs));
}

TEST(FlipAveraging, DetectionWithTtaFindsTheNucleiInImagesAndSlides) {
    const Model m = test::synthetic_detector();
    const LabelledImage img = test::synthetic_nuclei_image(256, 256, 60, 21);
    DetectOptions tta;
    tta.tta = true;
    auto score = [&](const std::vector<Detection>& found) {
        EvalImage e;
        e.truth = img.nuclei;
        for (const auto& d : found) e.predictions.push_back({d.x, d.y, d.class_index});
        return evaluate({e}, {"Small", "Large"}, {}).mean_f1;
    };
    const double plain = score(detect_image(m, img.image, 0.5)), averaged = score(detect_image(m, img.image, 0.5, tta));
    std::cout << "[ tta      ] mean F1 " << plain << " plain, " << averaged << " flip-averaged\n";
    EXPECT_GT(averaged, 0.85);
    EXPECT_GT(averaged, plain - 0.05);
    auto slide = slide::image_source(img.image, 0.5, "synthetic");
    SlideDetectOptions o;
    o.tile_px = 128;
    o.overlap_um = 12;
    o.decode.tta = true;
    std::vector<Detection> tiled;
    detect_slide(m, *slide, o, [&](const Detection& d) { tiled.push_back(d); });
    EXPECT_GT(score(tiled), 0.85);
}

}  // namespace
}  // namespace muse
