// Choosing score thresholds on labelled images: the single threshold is the best of the sweep,
// per-class thresholds are kept only when they score at least as well, and the model decodes
// with what was chosen.
#include <gtest/gtest.h>

#include "muse/detect.hpp"
#include "muse/errors.hpp"
#include "muse/eval.hpp"
#include "support/synthetic_nuclei.hpp"

namespace muse {
namespace {

std::vector<LabelledImage> images() {
    std::vector<LabelledImage> v;
    for (int i = 0; i < 3; ++i) v.push_back(test::synthetic_nuclei_image(192, 192, 30, 500 + i));
    return v;
}

TEST(ThresholdChoice, SingleThresholdIsTheBestOfTheSweep) {
    const Model m = test::synthetic_detector();
    const auto val = images();
    const ThresholdChoice c = choose_score_thresholds(m, val, false, {});
    EXPECT_TRUE(c.class_score_thresholds.empty());
    EXPECT_GE(c.score_threshold, 0.2 - 1e-9);
    EXPECT_LE(c.score_threshold, 0.85 + 1e-9);
    for (double t : {0.2, 0.35, 0.5, 0.65, 0.85}) {
        DetectOptions d;
        d.score_threshold = t;
        EXPECT_GE(c.report.mean_f1, evaluate_model(m, val, {}, d).mean_f1 - 1e-12) << "threshold " << t;
    }
    DetectOptions chosen;
    chosen.score_threshold = c.score_threshold;
    EXPECT_DOUBLE_EQ(c.report.mean_f1, evaluate_model(m, val, {}, chosen).mean_f1);
}

TEST(ThresholdChoice, PerClassThresholdsAreKeptOnlyWhenTheyScoreAsWell) {
    const Model m = test::synthetic_detector();
    const auto val = images();
    const ThresholdChoice single = choose_score_thresholds(m, val, false, {});
    const ThresholdChoice c = choose_score_thresholds(m, val, true, {});
    EXPECT_EQ(c.score_threshold, single.score_threshold);
    EXPECT_GE(c.report.mean_f1, single.report.mean_f1);
    if (!c.class_score_thresholds.empty()) {
        ASSERT_EQ(c.class_score_thresholds.size(), m.config().classes.size());
        // The model decodes with its per-class thresholds when they are in its config.
        ModelConfig config = m.config();
        config.detection.score_threshold = c.score_threshold;
        config.detection.class_score_thresholds = c.class_score_thresholds;
        const Model tuned = Model::from_weights(config, m.state_dict());
        EXPECT_DOUBLE_EQ(evaluate_model(tuned, val, {}).mean_f1, c.report.mean_f1);
    }
    EXPECT_THROW(choose_score_thresholds(m, {}, true, {}), InvalidArgument);
}

}  // namespace
}  // namespace muse
