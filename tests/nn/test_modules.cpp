// The network modules: BatchNorm folding keeps outputs, position-embedding re-grid rules.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "model/weights.hpp"
#include "nn/muse_net.hpp"
#include "nn/vit.hpp"

namespace muse::nn {
namespace {

/// Random BatchNorm statistics and affine parameters, so that folding has real work to do.
void randomise_batchnorm(torch::nn::Module& net, std::uint64_t seed) {
    at::NoGradGuard no_grad;
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    for (auto& b : net.named_buffers(true)) {
        const std::string& n = b.key();
        if (n.find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0, gen);
        else if (n.find("running_mean") != std::string::npos) b.value().normal_(0.0, 0.2, gen);
    }
    for (auto& p : net.named_parameters(true)) {
        const std::string& n = p.key();
        const bool bn = n.find(".bn") != std::string::npos || n.find("layer.1.") != std::string::npos ||
                        n.find("downsample.1.") != std::string::npos;
        if (bn && p.value().dim() == 1) p.value().uniform_(0.5, 1.5, gen);
    }
}

void expect_folding_preserves_output(const std::shared_ptr<EncoderDecoder>& net, std::int64_t side) {
    model::init_untrained(*net, 3);
    randomise_batchnorm(*net, 4);
    net->eval();
    at::NoGradGuard no_grad;
    at::Tensor x = at::randn({1, 3, side, side});
    at::Tensor before = net->forward(x).dense;
    net->fold_batchnorm();
    const float scale = before.abs().max().item<float>();
    EXPECT_GT(scale, 0.0f);
    // Twice: the second pass runs the 3x3 convolutions on Winograd kernels where available.
    for (int pass = 0; pass < 2; ++pass) {
        at::Tensor after = net->forward(x).dense;
        EXPECT_LT((after - before).abs().max().item<float>(), 1e-4f * std::max(1.0f, scale)) << "pass " << pass;
    }
}

TEST(BatchNormFolding, ViTDecoderOutputIsUnchanged) {
    ViTSpec spec;
    expect_folding_preserves_output(make_vit_encoder_decoder(spec), 64);
}

TEST(BatchNormFolding, ResNetEncoderDecoderOutputIsUnchanged) {
    expect_folding_preserves_output(make_resnet_encoder_decoder({3, 4, 6, 3}), 64);
}

TEST(BatchNormFolding, TrainingModeIgnoresTheFoldedPath) {
    auto net = make_resnet_encoder_decoder({3, 4, 6, 3});
    model::init_untrained(*net, 3);
    randomise_batchnorm(*net, 5);
    at::NoGradGuard no_grad;
    at::Tensor x = at::randn({2, 3, 64, 64});
    // Training mode normalises with batch statistics, so the output does not depend on the
    // running statistics: folding them in must not change what training mode computes.
    net->train();
    at::Tensor unfolded = net->forward(x).dense;
    net->eval();
    net->fold_batchnorm();
    net->train();
    at::Tensor after = net->forward(x).dense;
    EXPECT_TRUE(at::equal(unfolded, after));
    net->eval();
    EXPECT_FALSE(at::allclose(net->forward(x).dense, unfolded, 1e-3, 1e-3)) << "eval mode uses running statistics";
}

/// The gradient of a fixed weighted sum of the dense map with respect to the input.
at::Tensor input_gradient(EncoderDecoder& net, const at::Tensor& x, const at::Tensor& weights) {
    const at::Tensor input = x.clone().set_requires_grad(true);
    (net.forward(input).dense * weights).sum().backward();
    return input.grad();
}

void expect_folded_frozen_network_passes_the_gradient(const std::shared_ptr<EncoderDecoder>& net, std::int64_t side) {
    model::init_untrained(*net, 3);
    randomise_batchnorm(*net, 6);
    net->eval();
    for (auto& p : net->parameters()) p.set_requires_grad(false);
    const at::Tensor x = at::randn({2, 3, side, side});
    const at::Tensor weights = at::randn_like(net->forward(x).dense);
    const at::Tensor before = input_gradient(*net, x, weights);
    net->fold_batchnorm();
    const double norm = before.norm().item<double>();
    ASSERT_GT(norm, 0.0);
    // Twice, as above: Winograd kernels (no backward) would be what the second pass runs. Equal up
    // to float rounding, compared as a whole: where a ReLU's input lies within rounding of zero,
    // folding may flip it, and that element's gradient jumps (seen: 0.7 % of the largest, in one
    // run of several); a wrong or missing gradient is off by its whole size.
    for (int pass = 0; pass < 2; ++pass) {
        const at::Tensor after = input_gradient(*net, x, weights);
        ASSERT_TRUE(after.defined()) << "pass " << pass;
        EXPECT_LT((after - before).norm().item<double>(), 1e-2 * norm) << "pass " << pass;
    }
}

// The stain fit folds its frozen network and needs the gradient at the input.
TEST(BatchNormFolding, AFrozenFoldedResNetPassesTheInputGradientUnchanged) {
    expect_folded_frozen_network_passes_the_gradient(make_resnet_encoder_decoder({1, 1, 1, 1}), 64);
}

TEST(BatchNormFolding, AFrozenFoldedViTPassesTheInputGradientUnchanged) {
    ViTSpec spec;
    expect_folded_frozen_network_passes_the_gradient(make_vit_encoder_decoder(spec), 64);
}

TEST(PosEmbedRegrid, NativeSizeIsCloseToButNotTheIdentity) {
    at::Tensor pos = at::randn({1, 1 + 14 * 14, 8});
    at::Tensor same = regrid_pos_embed(pos, 14);
    EXPECT_EQ(same.sizes(), pos.sizes());
    EXPECT_TRUE(at::equal(same.narrow(1, 0, 1), pos.narrow(1, 0, 1))) << "the CLS position is kept";
    EXPECT_FALSE(at::equal(same, pos));
}

TEST(PosEmbedRegrid, GrowsTheGridForLargerTiles) {
    at::Tensor pos = at::randn({1, 1 + 14 * 14, 8});
    EXPECT_EQ(regrid_pos_embed(pos, 32).sizes(), (std::vector<std::int64_t>{1, 1 + 32 * 32, 8}));
    EXPECT_EQ(regrid_pos_embed(pos, 4).sizes(), (std::vector<std::int64_t>{1, 1 + 4 * 4, 8}));
}

TEST(PosEmbedRegrid, ConstantEmbeddingStaysConstant) {
    at::Tensor pos = at::full({1, 1 + 14 * 14, 3}, 0.7f);
    EXPECT_TRUE(at::allclose(regrid_pos_embed(pos, 32), at::full({1, 1 + 32 * 32, 3}, 0.7f), 1e-5, 1e-6));
}

}  // namespace
}  // namespace muse::nn
