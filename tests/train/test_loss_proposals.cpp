// Running the heads only where the fine-tuning loss reaches gives the loss and the gradients of
// running them on every proposal: with and without L_cons, with no pseudo-labels, with an empty
// region, and back through the features into the dense map.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <algorithm>
#include <string>

#include "muse/errors.hpp"
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
    const PseudoLabels p = pseudo_labels(probs, region, 0.9);
    EXPECT_TRUE(at::equal(p.mask, at::tensor({0, 1, 0, 0}).view({1, 4}).to(at::kBool)));
    EXPECT_EQ(p.best_class[0][1].item<std::int64_t>(), 1);
}

struct Case {
    std::string name;
    double cons, threshold;
    bool empty_region;
};

TEST(LossProposals, TheSameLossAndGradientsAsEveryProposal) {
    const std::int64_t side = 160, stride = 8, channels = 16;
    for (const Case& c : {Case{"L_cons on", 0.1, 0.4, false}, Case{"L_cons off (first epoch)", 0.0, 0.4, false},
                          Case{"no pseudo-labels", 0.1, 1.0, false}, Case{"empty region", 0.1, 0.4, true}}) {
        SCOPED_TRACE(c.name);
        at::manual_seed(3);
        nn::DetectionHead head(channels, 2, 32);
        // A dense map [1, C, 40, 40] (stride 4 px): the features and the gradient reaching it.
        const at::Tensor dense = (at::randn({1, channels, side / 4, side / 4}) * 4.0).requires_grad_();
        const nn::GridFeatures g = nn::grid_features(dense, side, stride);  // 400 proposals
        const std::int64_t n = g.proposals.size(0);
        const at::Tensor x = g.proposals.select(1, 0), y = g.proposals.select(1, 1);
        at::Tensor in_region = (x > 40).logical_and(x < 104).logical_and(y > 40).logical_and(y < 104).unsqueeze(0);
        std::vector<std::vector<LabelledPoint>> nuclei{{{50, 52, 0}, {70, 61, 1}, {95, 90, 0}, {62, 88, 1}}};
        if (c.empty_region) {
            in_region = at::zeros_like(in_region);
            nuclei[0].clear();
        }
        LossWeights w;
        w.cons = c.cons;
        w.cons_threshold = c.threshold;  // 0.4: a random head is rarely confident, yet some pseudo-labels

        auto gradients = [&]() {
            // A tensor the loss does not reach has no gradient: zero.
            auto take = [](at::Tensor& t) {
                at::Tensor g = t.grad().defined() ? t.grad().clone() : at::zeros_like(t);
                if (t.grad().defined()) t.mutable_grad().zero_();
                return g;
            };
            at::Tensor d = dense;
            std::vector<at::Tensor> grads{take(d)};
            for (auto& p : head->parameters()) grads.push_back(take(p));
            return grads;
        };
        const auto all = head->forward_features(g.features, g.proposals, stride);
        const DetectionLoss every = detection_loss(all.points, all.logits, nuclei, w, in_region);
        every.total.backward({}, true);
        const auto g_every = gradients();

        const ProposalsInLoss some = heads_where_the_loss_reaches(*head, g.features, g.proposals, in_region, w, stride);
        const DetectionLoss reached = detection_loss(some.out.points, some.out.logits, nuclei, w, some.in_region);
        reached.total.backward();
        const auto g_reached = gradients();

        const std::int64_t kept = some.out.logits.size(1), inside = in_region.sum().item<std::int64_t>();
        if (c.threshold < 1.0) EXPECT_GT(every.pseudo_labels, 0) << "the case must have pseudo-labels";
        EXPECT_EQ(kept, inside + every.pseudo_labels) << "the region and the pseudo-labels, nothing else";
        EXPECT_LT(kept, n) << "some proposals are left out";
        EXPECT_EQ(reached.matched, every.matched);
        EXPECT_EQ(reached.pseudo_labels, every.pseudo_labels);
        EXPECT_NEAR(reached.total.item<double>(), every.total.item<double>(), 1e-5);
        EXPECT_NEAR(reached.cons.item<double>(), every.cons.item<double>(), 1e-5);
        EXPECT_NEAR(reached.reg.item<double>(), every.reg.item<double>(), 1e-4);
        ASSERT_EQ(g_every.size(), g_reached.size());
        double largest = 0.0;
        for (std::size_t i = 0; i < g_every.size(); ++i) {
            EXPECT_TRUE(at::allclose(g_reached[i], g_every[i], 1e-4, 1e-6)) << (i == 0 ? "the dense map" : "parameter ") << i;
            largest = std::max(largest, g_every[i].abs().max().item<double>());
        }
        EXPECT_GT(largest, 1e-4) << "the heads must have something to learn";
    }
}

TEST(LossProposals, OneSampleAtATime) {
    nn::DetectionHead head(8, 2, 16);
    const at::Tensor proposals = nn::proposal_grid(32, 8);  // 16 proposals
    const at::Tensor region = at::ones({1, 16}, at::kBool);
    EXPECT_THROW(heads_where_the_loss_reaches(*head, at::randn({2, 16, 8}), proposals, region, {}, 8), InvalidArgument);
    EXPECT_THROW(heads_where_the_loss_reaches(*head, at::randn({1, 15, 8}), proposals, region, {}, 8), InvalidArgument);
}

}  // namespace
}  // namespace muse::train
