// Proposal decoding: threshold, class choice, and order-independent duplicate suppression.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include <ATen/ATen.h>

#include "detect/decode.hpp"

namespace muse::detect {
namespace {

Detection at(double x, double y, float score) {
    Detection d;
    d.x = x;
    d.y = y;
    d.score = score;
    return d;
}

TEST(Decode, ThresholdPicksTheBestNucleusClassAndIgnoresBackground) {
    // K = 2 classes + background. Proposal 0: class 1 at 0.6; proposal 1: mostly background.
    const at::Tensor points = at::tensor({5.f, 6.f, 50.f, 60.f}).view({2, 2});
    const at::Tensor probs = at::tensor({0.1f, 0.6f, 0.3f, 0.2f, 0.1f, 0.7f}).view({2, 3});
    const auto d = decode_proposals(points, probs, 0.5, 3.0);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].class_index, 1);
    EXPECT_FLOAT_EQ(d[0].score, 0.6f);
    EXPECT_DOUBLE_EQ(d[0].x, 5.0);
    EXPECT_DOUBLE_EQ(d[0].y, 6.0);
    EXPECT_EQ(d[0].probabilities, (std::vector<float>{0.1f, 0.6f}));
    EXPECT_TRUE(decode_proposals(points, probs, 0.65, 3.0).empty());
}

TEST(Decode, PerClassThresholdsApplyToTheBestClass) {
    // Proposal 0: class 0 at 0.6; proposal 1: class 1 at 0.6, far apart.
    const at::Tensor points = at::tensor({5.f, 6.f, 50.f, 60.f}).view({2, 2});
    const at::Tensor probs = at::tensor({0.6f, 0.2f, 0.2f, 0.2f, 0.6f, 0.2f}).view({2, 3});
    const auto d = decode_proposals(points, probs, ScoreThresholds(0.5, {0.7, 0.55}), 3.0);
    ASSERT_EQ(d.size(), 1u) << "class 0 needs 0.7, class 1 only 0.55";
    EXPECT_EQ(d[0].class_index, 1);
    EXPECT_EQ(decode_proposals(points, probs, ScoreThresholds(0.5, {0.55, 0.7}), 3.0).front().class_index, 0);
    EXPECT_EQ(decode_proposals(points, probs, 0.5, 3.0).size(), 2u);
    // A user's single threshold overrides the model's per-class ones.
    DetectionConfig config;
    config.score_threshold = 0.4;
    config.class_score_thresholds = {0.7, 0.55};
    EXPECT_EQ(thresholds_for(config, 0.0).of(0), 0.7);
    EXPECT_EQ(thresholds_for(config, 0.0).of(1), 0.55);
    EXPECT_EQ(thresholds_for(config, 0.3).of(0), 0.3);
    EXPECT_EQ(thresholds_for(config, 0.3).of(1), 0.3);
}

TEST(Decode, KeepsOnlyLocalMaximaWithinTheRadius) {
    // A chain a - b - c, 5 px apart: b suppresses both neighbours only if it ranks higher.
    std::vector<Detection> chain = {at(0, 0, 0.9f), at(5, 0, 0.8f), at(10, 0, 0.7f), at(30, 0, 0.6f)};
    const auto kept = suppress_duplicates(chain, 6.0);
    ASSERT_EQ(kept.size(), 2u) << "a survives, b and c have a better neighbour, the far one survives";
    EXPECT_DOUBLE_EQ(kept[0].x, 0.0);
    EXPECT_DOUBLE_EQ(kept[1].x, 30.0);
    // Equal scores: the position breaks the tie, one of the two stays.
    EXPECT_EQ(suppress_duplicates({at(0, 0, 0.5f), at(2, 0, 0.5f)}, 3.0).size(), 1u);
    EXPECT_EQ(suppress_duplicates({at(0, 0, 0.5f), at(2, 0, 0.5f)}, 1.5).size(), 2u);
}

TEST(Decode, ResultDoesNotDependOnTheOrderOfCandidates) {
    std::mt19937 rng(9);
    std::uniform_real_distribution<double> u(0, 100);
    std::vector<Detection> c;
    for (int i = 0; i < 300; ++i) c.push_back(at(u(rng), u(rng), static_cast<float>(u(rng) / 100)));
    auto key = [](const Detection& d) { return std::make_pair(d.x, d.y); };
    auto sorted = [&](std::vector<Detection> v) {
        std::vector<std::pair<double, double>> k;
        for (const auto& d : v) k.push_back(key(d));
        std::sort(k.begin(), k.end());
        return k;
    };
    const auto reference = sorted(suppress_duplicates(c, 4.0));
    for (int t = 0; t < 5; ++t) {
        std::shuffle(c.begin(), c.end(), rng);
        EXPECT_EQ(sorted(suppress_duplicates(c, 4.0)), reference);
    }
}

}  // namespace
}  // namespace muse::detect
