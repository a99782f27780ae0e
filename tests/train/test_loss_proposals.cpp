// Running the heads only where the fine-tuning loss reaches gives the loss and the gradients of
// running them on every proposal.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <algorithm>

#include "nn/heads.hpp"
#include "train/detection_loss.hpp"
#include "train/loss_proposals.hpp"

namespace muse::train {
namespace {

TEST(LossProposals, PseudoLabelsAreConfidentNucleiOutsideTheRegion) {
    // Four proposals, classes [A, B, background]; the region holds proposal 0.
    const at::Tensor probs = at::tensor({0.95f, 0.03f, 0.02f,  // inside: never a pseudo-label
                                         0.05f, 0.92f, 0.03f,  // confident B: pseudo-label
                                         0.02f, 0.03f, 0.95f,  // confident background: not one
                                         0.60f, 0.30f, 0.10f})  // not confident enough
                                 .view({1, 4, 3});
    const at::Tensor region = at::tensor({1, 0, 0, 0}).view({1, 4}).to(at::kBool);
    const at::Tensor mask = pseudo_label_mask(probs, region, 0.9);
    EXPECT_TRUE(at::equal(mask, at::tensor({0, 1, 0, 0}).view({1, 4}).to(at::kBool)));
}

TEST(LossProposals, TheSameLossAndGradientsAsEveryProposal) {
    at::manual_seed(3);
    const std::int64_t side = 160, stride = 8, channels = 16;
    nn::DetectionHead head(channels, 2, 32);
    const at::Tensor proposals = nn::proposal_grid(side, stride);  // 400 proposals
    const std::int64_t n = proposals.size(0);
    const at::Tensor features = at::randn({1, n, channels}) * 2.0;
    // The region: the square 40..104 px; nuclei inside it.
    const at::Tensor x = proposals.select(1, 0), y = proposals.select(1, 1);
    const at::Tensor in_region = (x > 40).logical_and(x < 104).logical_and(y > 40).logical_and(y < 104).unsqueeze(0);
    const std::vector<std::vector<LabelledPoint>> nuclei{{{50, 52, 0}, {70, 61, 1}, {95, 90, 0}, {62, 88, 1}}};
    LossWeights w;
    w.cons = 0.1;
    w.cons_threshold = 0.5;  // a random head is rarely confident: enough pseudo-labels to matter

    auto gradients = [&]() {
        std::vector<at::Tensor> g;
        for (const auto& p : head->parameters()) g.push_back(p.grad().clone());
        for (auto& p : head->parameters()) p.mutable_grad().zero_();
        return g;
    };
    const auto all = head->forward_features(features, proposals, stride);
    const DetectionLoss every = detection_loss(all.points, all.logits, nuclei, w, in_region);
    every.total.backward();
    const auto g_every = gradients();

    const ProposalsInLoss some = heads_where_the_loss_reaches(*head, features, proposals, in_region, w, stride);
    const DetectionLoss reached = detection_loss(some.out.points, some.out.logits, nuclei, w, some.in_region);
    reached.total.backward();
    const auto g_reached = gradients();

    const std::int64_t kept = some.out.logits.size(1), inside = in_region.sum().item<std::int64_t>();
    EXPECT_GT(every.pseudo_labels, 0) << "the case must have pseudo-labels";
    EXPECT_EQ(kept, inside + every.pseudo_labels) << "the region and the pseudo-labels, nothing else";
    EXPECT_LT(kept, n / 2);
    EXPECT_EQ(reached.matched, every.matched);
    EXPECT_EQ(reached.pseudo_labels, every.pseudo_labels);
    EXPECT_NEAR(reached.total.item<double>(), every.total.item<double>(), 1e-5);
    EXPECT_NEAR(reached.cons.item<double>(), every.cons.item<double>(), 1e-5);
    EXPECT_NEAR(reached.reg.item<double>(), every.reg.item<double>(), 1e-4);
    ASSERT_EQ(g_every.size(), g_reached.size());
    double largest = 0.0;
    for (std::size_t i = 0; i < g_every.size(); ++i) {
        EXPECT_TRUE(at::allclose(g_reached[i], g_every[i], 1e-4, 1e-6)) << "parameter " << i;
        largest = std::max(largest, g_every[i].abs().max().item<double>());
    }
    EXPECT_GT(largest, 1e-4) << "the heads must have something to learn";
}

}  // namespace
}  // namespace muse::train
