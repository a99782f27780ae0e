// Class weights from label counts: what --class-balance gives training and fine-tuning.
#include <gtest/gtest.h>

#include <cmath>

#include "train/class_weights.hpp"

namespace muse::train {
namespace {

TEST(ClassBalanceWeights, InverseFrequencyNormalisedToMeanOne) {
    // A class added with 40 points beside 800 and 360: power 1 weighs each by mean / count.
    const auto w = class_balance_weights({800, 360, 40}, 1.0);
    ASSERT_EQ(w.size(), 3u);
    EXPECT_NEAR(w[0] + w[1] + w[2], 3.0, 1e-12);
    EXPECT_NEAR(w[2] / w[0], 20.0, 1e-9);
    EXPECT_NEAR(w[1] / w[0], 800.0 / 360.0, 1e-9);
    const auto sqrt_w = class_balance_weights({800, 360, 40}, 0.5);
    EXPECT_NEAR(sqrt_w[2] / sqrt_w[0], std::sqrt(20.0), 1e-9);
}

TEST(ClassBalanceWeights, EqualCountsOffAndUnlabelledClasses) {
    EXPECT_TRUE(class_balance_weights({800, 40}, 0.0).empty()) << "power 0 means equal weights";
    EXPECT_TRUE(class_balance_weights({0, 0}, 1.0).empty()) << "nothing labelled";
    for (double v : class_balance_weights({50, 50, 50}, 1.0)) EXPECT_NEAR(v, 1.0, 1e-12);
    // An unlabelled class keeps weight 1 before normalisation and does not lower the mean.
    const auto w = class_balance_weights({100, 0, 25}, 1.0);
    ASSERT_EQ(w.size(), 3u);
    EXPECT_NEAR(w[2] / w[0], 4.0, 1e-9);
    EXPECT_NEAR(w[1] / w[0], 1.0 / (62.5 / 100.0), 1e-9);
}

}  // namespace
}  // namespace muse::train
