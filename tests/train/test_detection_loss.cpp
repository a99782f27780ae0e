// Matching proposals to nuclei and the detection loss on hand-made cases.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "train/detection_loss.hpp"

namespace muse::train {
namespace {

TEST(MatchProposals, EachNucleusGetsItsNearestLikelyProposal) {
    // Three proposals; nucleus A (class 0) sits on proposal 2, nucleus B (class 1) near 0.
    const at::Tensor points = at::tensor({0.f, 0.f, 50.f, 50.f, 100.f, 0.f}).view({3, 2});
    const at::Tensor probs = at::tensor({0.1f, 0.8f, 0.1f,  //
                                         0.3f, 0.3f, 0.4f,  //
                                         0.6f, 0.2f, 0.2f})
                                 .view({3, 3});
    const std::vector<LabelledPoint> nuclei = {{99, 1, 0}, {2, 2, 1}};
    const auto pairs = match_proposals(points, probs, nuclei, 0.05);
    EXPECT_EQ(pairs, (std::vector<std::pair<int, int>>{{0, 2}, {1, 0}}));
    EXPECT_TRUE(match_proposals(points, probs, {}, 0.05).empty());
}

TEST(MatchProposals, ProbabilityCanOutweighASmallDistance) {
    // Two proposals 4 px and 6 px away; the farther one is far more confident of the class.
    const at::Tensor points = at::tensor({4.f, 0.f, -6.f, 0.f}).view({2, 2});
    const at::Tensor probs = at::tensor({0.1f, 0.9f, 0.9f, 0.1f}).view({2, 2});  // [class 0, background]
    const auto pairs = match_proposals(points, probs, {{0, 0, 0}}, 0.05);
    ASSERT_EQ(pairs.size(), 1u);
    EXPECT_EQ(pairs[0].second, 1) << "cost 0.05 * 6 - 0.9 beats 0.05 * 4 - 0.1";
}

TEST(DetectionLoss, UnmatchedProposalsAreBackgroundAndOffsetsOnlyCountWhenMatched) {
    // One tile, two proposals, one nucleus exactly on proposal 0 (class 0 of K = 2).
    at::Tensor points = at::tensor({10.f, 10.f, 40.f, 40.f}).view({1, 2, 2}).requires_grad_();
    at::Tensor logits = at::zeros({1, 2, 3}).requires_grad_();
    LossWeights w;
    const DetectionLoss loss = detection_loss(points, logits, {{{10, 10, 0}}}, w);
    EXPECT_EQ(loss.matched, 1);
    EXPECT_NEAR(loss.reg.item<double>(), 0.0, 1e-9);
    // Uniform logits: CE = log 3 for both proposals, whatever the class weights.
    EXPECT_NEAR(loss.type.item<double>(), std::log(3.0), 1e-6);
    loss.total.backward();
    // The matched proposal is pushed towards class 0, the other towards background (index 2).
    const at::Tensor g = logits.grad()[0];
    EXPECT_LT(g[0][0].item<double>(), 0.0);
    EXPECT_LT(g[1][2].item<double>(), 0.0);
    EXPECT_GT(g[1][0].item<double>(), 0.0);
    // Nothing pulls the unmatched point anywhere.
    EXPECT_EQ(points.grad()[0][1].abs().sum().item<double>(), 0.0);
}

TEST(DetectionLoss, ClassWeightsScaleTheirNucleiInTheTypeTerm) {
    // Two proposals on two nuclei of classes 0 and 1; logits favour class 1 everywhere, so the
    // class-0 nucleus has the larger CE. Weighting class 0 up pulls the weighted mean towards it.
    const at::Tensor points = at::tensor({10.f, 10.f, 40.f, 40.f}).view({1, 2, 2});
    const at::Tensor logits = at::tensor({0.f, 2.f, 0.f, 0.f, 2.f, 0.f}).view({1, 2, 3});
    const std::vector<std::vector<LabelledPoint>> nuclei = {{{10, 10, 0}, {40, 40, 1}}};
    const double ce0 = -std::log(1.0 / (2.0 + std::exp(2.0))), ce1 = -std::log(std::exp(2.0) / (2.0 + std::exp(2.0)));
    LossWeights equal;
    EXPECT_NEAR(detection_loss(points, logits, nuclei, equal).type.item<double>(), (ce0 + ce1) / 2, 1e-5);
    LossWeights balanced;
    balanced.classes = {3.0, 1.0};
    EXPECT_NEAR(detection_loss(points, logits, nuclei, balanced).type.item<double>(), (3 * ce0 + ce1) / 4, 1e-5)
        << "cross-entropy's weighted mean";
}

TEST(DetectionLoss, RegressionTermIsTheSquaredDistanceOfMatchedPoints) {
    at::Tensor points = at::tensor({13.f, 14.f}).view({1, 1, 2});
    at::Tensor logits = at::zeros({1, 1, 2});
    const DetectionLoss loss = detection_loss(points, logits, {{{10, 10, 0}}}, LossWeights{});
    EXPECT_NEAR(loss.reg.item<double>(), 25.0, 1e-5);  // 3^2 + 4^2
    EXPECT_NEAR(loss.total.item<double>(), std::log(2.0) * 1.0 + 25.0 * 5e-3, 1e-5);
}

}  // namespace
}  // namespace muse::train
