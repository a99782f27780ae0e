// Blocked attention: the same numbers as the plain softmax(q k^T * scale) v for every head, for
// token counts with and without a partial last block, batches, several heads, from concurrent
// threads, in bfloat16 no further from float32 than LibTorch's bfloat16; and used only where
// nothing is to be differentiated.
#include <gtest/gtest.h>

#include <thread>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>

#include "muse/precision.hpp"
#include "nn/blocked_attention.hpp"
#include "nn/vit.hpp"

namespace muse::nn {
namespace {

/// The reference's computation (and the fallback of AttentionImpl::forward), on qkv [B, N, 3C].
at::Tensor plain_attention(const at::Tensor& qkv, std::int64_t heads, double scale) {
    const std::int64_t b = qkv.size(0), n = qkv.size(1), c = qkv.size(2) / 3;
    at::Tensor parts = qkv.view({b, n, 3, heads, c / heads}).permute({2, 0, 3, 1, 4});
    at::Tensor attn = at::matmul(parts[0], parts[1].transpose(-2, -1)).mul_(scale).softmax(-1);
    return at::matmul(attn, parts[2]).transpose(1, 2).reshape({b, n, c});
}

/// qkv with the spread of a trained ViT's: scores of a few units, so the softmax is neither
/// uniform nor one-hot.
at::Tensor random_qkv(std::int64_t b, std::int64_t n, std::int64_t c, std::uint64_t seed) {
    at::manual_seed(seed);
    return 2.0 * at::randn({b, n, 3 * c});
}

void expect_matches_plain(std::int64_t b, std::int64_t n, std::int64_t c, std::int64_t heads) {
    const std::string what = std::to_string(b) + " x " + std::to_string(n) + " tokens x " + std::to_string(c) +
                             " channels, " + std::to_string(heads) + " heads";
    c10::InferenceMode guard;
    const at::Tensor qkv = random_qkv(b, n, c, static_cast<std::uint64_t>(n * 31 + c));
    const double scale = 1.0 / std::sqrt(static_cast<double>(c / heads));
    ASSERT_TRUE(blocked_attention_applies(qkv)) << what;
    const at::Tensor got = blocked_attention(qkv, heads, scale);
    ASSERT_TRUE(got.defined()) << what << ": oneDNN offered no kernel";
    const at::Tensor want = plain_attention(qkv, heads, scale);
    ASSERT_EQ(got.sizes(), want.sizes()) << what;
    const double diff = (got - want).abs().max().item<double>();
    // Outputs are averages of v (magnitude about 2); measured differences are about 1e-6.
    EXPECT_LT(diff, 2e-5) << what << ": max |diff| " << diff;
}

TEST(BlockedAttention, MatchesThePlainComputation) {
    expect_matches_plain(1, 197, 384, 6);   // ViT-S at 224 px: three full blocks of 64 and a tail of 5
    expect_matches_plain(2, 257, 768, 12);  // ViT-B, a batch of two
    expect_matches_plain(1, 128, 96, 3);    // whole blocks only
    expect_matches_plain(3, 37, 64, 2);     // a tail only
    expect_matches_plain(1, 1025, 384, 6);  // ViT-S at 512 px
}

TEST(BlockedAttention, ConcurrentCallsEachGetTheirOwnResult) {
    c10::InferenceMode guard;
    std::vector<at::Tensor> inputs, outputs(4);
    for (int i = 0; i < 4; ++i) inputs.push_back(random_qkv(1, 197, 192, 100 + i));
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&, i] {
            c10::InferenceMode inner;
            for (int repeat = 0; repeat < 3; ++repeat) outputs[i] = blocked_attention(inputs[i], 3, 0.125);
        });
    }
    for (auto& t : threads) t.join();
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(outputs[i].defined());
        EXPECT_LT((outputs[i] - plain_attention(inputs[i], 3, 0.125)).abs().max().item<double>(), 2e-5) << "thread " << i;
    }
}

TEST(BlockedAttention, InBfloat16IsAtLeastAsCloseToFloat32AsLibTorchsBfloat16) {
    c10::InferenceMode guard;
    const at::Tensor qkv = random_qkv(1, 197, 384, 21).to(at::kBFloat16);
    const double scale = 0.125;
    if (native_bf16_isa().empty()) GTEST_SKIP() << "this CPU has no native bfloat16 (muse refuses bf16 here)";
    const at::Tensor got = blocked_attention(qkv, 6, scale);
    ASSERT_TRUE(got.defined()) << "oneDNN offered no bfloat16 kernel on a CPU with " << native_bf16_isa();
    EXPECT_EQ(got.scalar_type(), at::kBFloat16);
    // Truth: float32 attention on the same (bfloat16-rounded) inputs. LibTorch in bfloat16 (what
    // autocast ran before) rounds the scores and probabilities to bfloat16; blocked attention
    // keeps them float32, so it should not be further from the truth.
    const at::Tensor truth = plain_attention(qkv.to(at::kFloat), 6, scale);
    const double blocked_error = (got.to(at::kFloat) - truth).abs().max().item<double>();
    const double libtorch_error = (plain_attention(qkv, 6, scale).to(at::kFloat) - truth).abs().max().item<double>();
    EXPECT_LE(blocked_error, libtorch_error) << "blocked " << blocked_error << ", LibTorch " << libtorch_error;
    EXPECT_LT(blocked_error, 0.05) << "outputs of magnitude about 2, bfloat16 keeps 8 bits";
}

TEST(BlockedAttention, AppliesOnlyWithNothingToDifferentiate) {
    at::Tensor qkv = random_qkv(1, 20, 32, 7);
    EXPECT_TRUE(blocked_attention_applies(qkv));
    EXPECT_TRUE(blocked_attention_applies(qkv.to(at::kBFloat16)));
    EXPECT_FALSE(blocked_attention_applies(qkv.to(at::kDouble))) << "float32 and bfloat16 only";
    EXPECT_FALSE(blocked_attention_applies(random_qkv(1, 40, 32, 8).slice(1, 0, 40, 2))) << "needs contiguous tokens";
    qkv.requires_grad_(true);
    EXPECT_FALSE(blocked_attention_applies(qkv)) << "training needs the differentiable computation";
    c10::NoGradGuard no_grad;
    EXPECT_TRUE(blocked_attention_applies(qkv)) << "under no_grad nothing is recorded";
}

TEST(BlockedAttention, TheAttentionModuleGivesTheSameOutputAndGradientsWhenTraining) {
    at::manual_seed(3);
    Attention attention(96, 3);
    const at::Tensor x = at::randn({2, 70, 96});
    at::Tensor inference;
    {
        c10::InferenceMode guard;
        inference = attention->forward(x);
    }
    const at::Tensor x_grad = x.clone().requires_grad_(true);
    const at::Tensor training = attention->forward(x_grad);
    EXPECT_LT((training.detach() - inference).abs().max().item<double>(), 2e-5);
    training.sum().backward();
    ASSERT_TRUE(x_grad.grad().defined()) << "the training path must stay differentiable";
    EXPECT_GT(x_grad.grad().abs().sum().item<double>(), 0.0);
}

}  // namespace
}  // namespace muse::nn
