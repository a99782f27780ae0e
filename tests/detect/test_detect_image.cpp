// Models with detection heads: predictions' shapes, model files that keep heads and settings,
// whole-image detection and its coordinate frame.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "muse/detect.hpp"
#include "muse/errors.hpp"
#include "muse/model.hpp"
#include "support/synthetic_nuclei.hpp"
#include "support/test_env.hpp"

namespace muse {
namespace {

ModelConfig detector_config() {
    ModelConfig c = test::synthetic_detector_config(32);
    c.detection.score_threshold = 0.4;
    return c;
}

TEST(DetectionModel, PredictGivesAProposalGridWithProbabilities) {
    const Model m = Model::create_untrained(detector_config(), 3);
    const Proposals p = m.predict(at::zeros({2, 64, 64, 3}, at::kByte));
    EXPECT_EQ(p.points.sizes(), (at::IntArrayRef{2, 64, 2}));  // (64 / 8)^2 proposals
    EXPECT_EQ(p.probs.sizes(), (at::IntArrayRef{2, 64, 3}));
    EXPECT_TRUE(at::allclose(p.probs.sum(-1), at::ones({2, 64})));
    EXPECT_EQ(p.dense_map.sizes(), (at::IntArrayRef{2, 256, 16, 16}));
    const at::Tensor c = m.class_probabilities_at(p.dense_map.narrow(0, 0, 1), 64, {{1, 2}, {63, 63}});
    EXPECT_EQ(c.sizes(), (at::IntArrayRef{2, 3}));
}

TEST(DetectionModel, ModelFileKeepsHeadsClassesAndSettings) {
    test::TempDir dir;
    const Model m = Model::create_untrained(detector_config(), 4);
    m.save(dir / "d.muse");
    const Model back = Model::load(dir / "d.muse");
    EXPECT_EQ(back.config().classes.size(), 2u);
    EXPECT_EQ(back.config().classes[1].name, "Large");
    EXPECT_EQ(back.config().detection.head_hidden, 32);
    EXPECT_DOUBLE_EQ(back.config().detection.score_threshold, 0.4);
    const at::Tensor tile = at::randint(0, 255, {1, 64, 64, 3}, at::kByte);
    EXPECT_TRUE(at::equal(m.predict(tile).probs, back.predict(tile).probs));
    EXPECT_GT(back.state_dict().count("head.type.4.bias"), 0u);
}

TEST(DetectionModel, BackboneWithoutHeadsSaysSo) {
    ModelConfig c = detector_config();
    c.classes.clear();
    const Model m = Model::create_untrained(c, 1);
    try {
        m.predict(at::zeros({1, 32, 32, 3}, at::kByte));
        FAIL() << "expected an error";
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("no detection heads"), std::string::npos) << e.what();
    }
}

TEST(DetectionModel, BadDetectionSettingsAreNamed) {
    ModelConfig c = detector_config();
    c.detection.proposal_stride_px = 6;
    EXPECT_THROW(c.validate(), InvalidArgument);
    c = detector_config();
    c.detection.score_threshold = 1.5;
    try {
        c.validate();
        FAIL();
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("detection.score_threshold"), std::string::npos);
    }
}

TEST(DetectImage, DetectionsAreInTheImagesFrameAtAnyResolution) {
    // An untrained model's detections are arbitrary, but wherever they are, they must be
    // inside the image, in its pixel frame, also when the image is resampled.
    const Model m = Model::create_untrained(detector_config(), 5);
    const LabelledImage img = test::synthetic_nuclei_image(90, 70, 10, 6, 0.25);
    DetectOptions o;
    o.score_threshold = 0.01;
    for (double mpp : {0.5, 0.25}) {
        const auto d = detect_image(m, img.image, mpp, o);
        for (const auto& n : d) {
            EXPECT_GE(n.x, -0.5);
            EXPECT_GE(n.y, -0.5);
            EXPECT_LT(n.x, 89.5);
            EXPECT_LT(n.y, 69.5);
            EXPECT_EQ(n.probabilities.size(), 2u);
        }
    }
    DetectOptions bad;
    bad.score_threshold = 2.0;
    EXPECT_THROW(detect_image(m, img.image, 0.5, bad), InvalidArgument);
    EXPECT_THROW(detect_image(m, img.image, 0.0), InvalidArgument);
}

}  // namespace
}  // namespace muse
