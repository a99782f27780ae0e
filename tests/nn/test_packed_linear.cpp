// Packed linear layers: LibTorch's linear (then GELU, or + residual) to float32 rounding, and
// to bfloat16 rounding in a bfloat16 pass, weights reordered again when they change, used only
// for inference, safe from several threads; and the ViT's MLP and attention give the same with
// and without it.
#include <gtest/gtest.h>

#include <thread>

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>

#include "model/bf16_autocast.hpp"
#include "muse/precision.hpp"
#include "nn/packed_linear.hpp"
#include "nn/vit.hpp"

namespace muse::nn {
namespace {

struct Layer {
    at::Tensor weight, bias;
};

Layer random_layer(std::int64_t in, std::int64_t out, std::uint64_t seed) {
    at::manual_seed(seed);
    return {at::randn({out, in}) / std::sqrt(static_cast<double>(in)), 0.1 * at::randn({out})};
}

at::Tensor expected(const at::Tensor& x, const Layer& l, LinearThen then, const at::Tensor& residual) {
    at::Tensor y = at::linear(x, l.weight, l.bias);
    if (then == LinearThen::Gelu) return at::gelu(y);
    if (then == LinearThen::AddResidual) return residual + y;
    return y;
}

double max_diff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

TEST(PackedLinear, MatchesLibTorchsLinearThenGeluOrResidual) {
    struct Case {
        std::int64_t batch, tokens, in, out;
        LinearThen then;
    };
    const Case cases[] = {{1, 197, 384, 1152, LinearThen::Nothing}, {1, 197, 384, 1536, LinearThen::Gelu},
                          {1, 197, 1536, 384, LinearThen::AddResidual}, {4, 65, 96, 40, LinearThen::AddResidual},
                          {2, 1, 64, 256, LinearThen::Gelu}};
    c10::InferenceMode guard;
    for (const Case& c : cases) {
        const std::string what = std::to_string(c.batch) + " x " + std::to_string(c.tokens) + " tokens, " +
                                 std::to_string(c.in) + " -> " + std::to_string(c.out) + ", then " +
                                 std::to_string(static_cast<int>(c.then));
        const Layer l = random_layer(c.in, c.out, static_cast<std::uint64_t>(c.in + c.out));
        const at::Tensor x = at::randn({c.batch, c.tokens, c.in});
        const at::Tensor residual = c.then == LinearThen::AddResidual ? at::randn({c.batch, c.tokens, c.out}) : at::Tensor();
        PackedLinear packed;
        ASSERT_TRUE(PackedLinear::applies(x, l.weight)) << what;
        const at::Tensor got = packed(x, l.weight, l.bias, c.then, residual);
        ASSERT_TRUE(got.defined()) << what << ": oneDNN offered no kernel";
        ASSERT_EQ(got.sizes(), at::IntArrayRef({c.batch, c.tokens, c.out})) << what;
        // Values of magnitude about 1-3; float32 sums of up to 1536 products differ by about 1e-6.
        EXPECT_LT(max_diff(got, expected(x, l, c.then, residual)), 2e-5) << what;
        EXPECT_LT(max_diff(packed(x, l.weight, l.bias, c.then, residual), got), 1e-6) << what << ": second call";
    }
}

TEST(PackedLinear, LeavesLayersItCannotComputeToLibTorch) {
    c10::InferenceMode guard;
    const Layer l = random_layer(16, 8, 19);
    const at::Tensor x = at::randn({2, 5, 16});
    PackedLinear packed;
    EXPECT_FALSE(packed(x, l.weight, at::Tensor(), LinearThen::Nothing).defined()) << "no bias";
    EXPECT_FALSE(packed(x, l.weight, l.bias, LinearThen::AddResidual, at::randn({1, 5, 8})).defined())
        << "a residual that would broadcast";
    EXPECT_FALSE(packed(x, l.weight, l.bias, LinearThen::AddResidual).defined()) << "no residual";
    EXPECT_FALSE(packed(at::randn({2, 5, 12}), l.weight, l.bias, LinearThen::Nothing).defined()) << "wrong width";
    EXPECT_TRUE(packed(x, l.weight, l.bias, LinearThen::AddResidual, at::randn({2, 5, 8})).defined());
}

TEST(PackedLinear, ReordersTheWeightsAgainWhenTheyChange) {
    Layer l = random_layer(64, 32, 5);
    const at::Tensor x = at::randn({1, 10, 64});
    PackedLinear packed;
    {
        c10::InferenceMode guard;
        EXPECT_LT(max_diff(packed(x, l.weight, l.bias, LinearThen::Nothing), at::linear(x, l.weight, l.bias)), 2e-5);
    }
    {
        at::NoGradGuard no_grad;
        l.weight.mul_(-2.0);  // in place, as an optimiser step does: the version counter moves
    }
    {
        c10::InferenceMode guard;
        EXPECT_LT(max_diff(packed(x, l.weight, l.bias, LinearThen::Nothing), at::linear(x, l.weight, l.bias)), 2e-5)
            << "weights modified in place";
        const Layer other = random_layer(64, 32, 6);  // another tensor altogether
        EXPECT_LT(max_diff(packed(x, other.weight, other.bias, LinearThen::Nothing),
                           at::linear(x, other.weight, other.bias)),
                  2e-5)
            << "another weight tensor";
    }
}

TEST(PackedLinear, AppliesOnlyToInferenceInFloat32OrABfloat16Pass) {
    const Layer l = random_layer(16, 8, 9);
    at::Tensor x = at::randn({1, 4, 16});
    EXPECT_TRUE(PackedLinear::applies(x, l.weight));
    EXPECT_FALSE(PackedLinear::applies(x.to(at::kBFloat16), l.weight));
    EXPECT_FALSE(PackedLinear::applies(at::randn({1, 8, 16}).slice(1, 0, 8, 2), l.weight)) << "needs contiguous tokens";
    {
        model::Bf16Autocast autocast;
        EXPECT_TRUE(PackedLinear::applies(x, l.weight)) << "a bfloat16 pass";
        EXPECT_TRUE(PackedLinear::applies(x.to(at::kBFloat16), l.weight)) << "a bfloat16 pass";
    }
    const at::Tensor trainable = l.weight.clone().requires_grad_(true);
    EXPECT_FALSE(PackedLinear::applies(x, trainable)) << "training needs the differentiable route";
    c10::NoGradGuard no_grad;
    EXPECT_TRUE(PackedLinear::applies(x, trainable)) << "under no_grad nothing is recorded";
}

TEST(PackedLinear, InABfloat16PassComputesAsAutocastDoes) {
    c10::InferenceMode guard;
    model::Bf16Autocast autocast;
    const Layer l = random_layer(384, 1536, 17);
    const at::Tensor x = at::randn({1, 197, 384}), residual = at::randn({1, 197, 1536});
    if (native_bf16_isa().empty()) GTEST_SKIP() << "this CPU has no native bfloat16 (muse refuses bf16 here)";
    PackedLinear packed;
    for (LinearThen then : {LinearThen::Nothing, LinearThen::Gelu, LinearThen::AddResidual}) {
        const std::string what = "then " + std::to_string(static_cast<int>(then));
        const at::Tensor got = packed(x, l.weight, l.bias, then, residual);
        ASSERT_TRUE(got.defined()) << what << ": oneDNN offered no bfloat16 kernel on a CPU with " << native_bf16_isa();
        const at::Tensor want = expected(x, l, then, residual);  // LibTorch under autocast: bfloat16 linear
        EXPECT_EQ(got.scalar_type(), want.scalar_type()) << what << ": the type autocast gives";
        const double scale = want.to(at::kFloat).abs().max().item<double>();
        // Both round products and results to bfloat16 (8 bits): about 1 % of the scale.
        EXPECT_LT(max_diff(got.to(at::kFloat), want.to(at::kFloat)), 0.03 * scale) << what;
    }
}

TEST(PackedLinear, ConcurrentCallsEachGetTheirOwnResult) {
    const Layer l = random_layer(96, 192, 11);
    PackedLinear packed;
    std::vector<at::Tensor> inputs, residuals, outputs(4);
    for (int i = 0; i < 4; ++i) {
        inputs.push_back(at::randn({1, 50 + 10 * i, 96}));  // different shapes build plans concurrently too
        residuals.push_back(at::randn({1, 50 + 10 * i, 192}));
    }
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&, i] {
            c10::InferenceMode guard;
            for (int repeat = 0; repeat < 3; ++repeat) {
                outputs[i] = packed(inputs[i], l.weight, l.bias, LinearThen::AddResidual, residuals[i]);
            }
        });
    }
    for (auto& t : threads) t.join();
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(outputs[i].defined());
        EXPECT_LT(max_diff(outputs[i], expected(inputs[i], l, LinearThen::AddResidual, residuals[i])), 2e-5) << i;
    }
}

TEST(PackedLinear, TheViTsMlpAndAttentionGiveTheSameInInferenceAndTraining) {
    at::manual_seed(13);
    Mlp mlp(48);
    Attention attention(48, 3);
    const at::Tensor x = at::randn({2, 30, 48}), residual = at::randn({2, 30, 48});
    at::Tensor mlp_inference, attention_inference;
    {
        c10::InferenceMode guard;  // packed products, blocked attention
        mlp_inference = mlp->forward(x, residual);
        attention_inference = attention->forward(x, residual);
    }
    const at::Tensor mlp_training = mlp->forward(x, residual);  // LibTorch's route, with autograd
    const at::Tensor attention_training = attention->forward(x, residual);
    ASSERT_TRUE(mlp_training.requires_grad());
    EXPECT_LT(max_diff(mlp_inference, mlp_training.detach()), 2e-5);
    EXPECT_LT(max_diff(attention_inference, attention_training.detach()), 2e-5);
    // Without a residual: the layer's output alone.
    c10::InferenceMode guard;
    EXPECT_LT(max_diff(mlp->forward(x, residual) - residual, mlp->forward(x)), 2e-5);
}

}  // namespace
}  // namespace muse::nn
