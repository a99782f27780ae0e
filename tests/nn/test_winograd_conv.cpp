// oneDNN Winograd convolutions: same results as LibTorch's convolution, when they start, and
// that they stay correct across shape changes and threads.
#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "nn/conv_bn.hpp"
#include "nn/winograd_conv.hpp"

namespace muse::nn {
namespace {

struct Conv {
    at::Tensor weight, bias;
    bool relu;
    at::Tensor reference(const at::Tensor& x) const {
        at::Tensor y = at::conv2d(x, weight, bias, {1, 1}, {1, 1});
        return relu ? at::relu(y) : y;
    }
};

Conv random_conv(std::int64_t in, std::int64_t out, bool relu, std::uint64_t seed) {
    at::manual_seed(seed);
    return {at::randn({out, in, 3, 3}) / std::sqrt(9.0 * in), 0.1 * at::randn({out}), relu};
}

std::shared_ptr<WinogradConv> make(const Conv& c) { return WinogradConv::create(c.weight, c.bias, c.relu); }

bool winograd_available() { return make(random_conv(64, 64, false, 1)) != nullptr; }

// The Winograd kernels exist in oneDNN for AVX-512 CPUs only; elsewhere muse convolves with
// LibTorch, whose results the model and parity tests check.
#define SKIP_WITHOUT_WINOGRAD()                                                                  \
    if (!winograd_available())                                                                   \
    GTEST_SKIP() << "this CPU's oneDNN has no Winograd kernels (they need AVX-512); muse uses " \
                    "LibTorch's convolution here, which the model and parity tests cover"

void expect_close(const at::Tensor& got, const at::Tensor& want, const std::string& what) {
    ASSERT_EQ(got.sizes(), want.sizes()) << what;
    const double scale = std::max(1.0, want.abs().max().item<double>());
    const double diff = (got - want).abs().max().item<double>();
    // Winograd reorders the arithmetic: measured differences are about 2e-6 of the scale.
    EXPECT_LT(diff, 5e-5 * scale) << what << ": max |diff| " << diff << " at scale " << scale;
}

TEST(WinogradConv, MatchesLibTorchFromTheSecondCallWithAShape) {
    struct Case {
        std::int64_t n, in, out, h, w;
        bool relu;
    };
    // Small maps get oneDNN's F(2x2,3x3) kernel, larger ones F(4x4,3x3); odd channel counts too.
    SKIP_WITHOUT_WINOGRAD();
    const Case cases[] = {{1, 64, 64, 16, 16, true},  {2, 96, 32, 40, 40, false}, {1, 48, 16, 28, 20, true},
                          {1, 24, 8, 14, 14, false},  {4, 32, 48, 56, 56, true},  {1, 384, 384, 14, 14, true}};
    for (const Case& k : cases) {
        const std::string what = std::to_string(k.n) + "x" + std::to_string(k.in) + "->" + std::to_string(k.out) + " at " +
                                 std::to_string(k.h) + "x" + std::to_string(k.w) + (k.relu ? " +relu" : "");
        const Conv c = random_conv(k.in, k.out, k.relu, 7);
        auto conv = make(c);
        ASSERT_NE(conv, nullptr) << what;
        c10::InferenceMode guard;
        const at::Tensor x = at::randn({k.n, k.in, k.h, k.w});
        const at::Tensor want = c.reference(x);
        expect_close((*conv)(x), want, what + ", first call");
        EXPECT_FALSE(conv->last_call_was_winograd()) << what;
        expect_close((*conv)(x), want, what + ", second call");
        EXPECT_TRUE(conv->last_call_was_winograd()) << what;
        expect_close((*conv)(x.contiguous(at::MemoryFormat::ChannelsLast)), want, what + ", channels-last input");
        EXPECT_TRUE(conv->last_call_was_winograd()) << what;
    }
}

TEST(WinogradConv, AlternatingShapesStayOnLibTorchAndRepeatedOnesSwitch) {
    const Conv c = random_conv(32, 32, true, 8);
    SKIP_WITHOUT_WINOGRAD();
    auto conv = make(c);
    c10::InferenceMode guard;
    const at::Tensor a = at::randn({1, 32, 24, 24}), b = at::randn({2, 32, 32, 32});
    for (int i = 0; i < 3; ++i) {
        expect_close((*conv)(a), c.reference(a), "a");
        EXPECT_FALSE(conv->last_call_was_winograd());
        expect_close((*conv)(b), c.reference(b), "b");
        EXPECT_FALSE(conv->last_call_was_winograd());
    }
    (*conv)(a);
    expect_close((*conv)(a), c.reference(a), "a repeated");
    EXPECT_TRUE(conv->last_call_was_winograd());
    expect_close((*conv)(b), c.reference(b), "b after a's plan");
    EXPECT_FALSE(conv->last_call_was_winograd());
    expect_close((*conv)(b), c.reference(b), "b repeated");
    EXPECT_TRUE(conv->last_call_was_winograd());
}

TEST(WinogradConv, ConcurrentCallsAgree) {
    const Conv c = random_conv(64, 64, false, 9);
    SKIP_WITHOUT_WINOGRAD();
    auto conv = make(c);
    c10::InferenceMode guard;
    const at::Tensor x = at::randn({1, 64, 32, 32});
    const at::Tensor want = c.reference(x);
    std::vector<at::Tensor> got(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            c10::InferenceMode thread_guard;
            for (int i = 0; i < 3; ++i) got[t] = (*conv)(x);
        });
    }
    for (auto& t : threads) t.join();
    for (const auto& g : got) expect_close(g, want, "threaded");
}

TEST(WinogradConv, EnvironmentSwitchTurnsItOff) {
    const Conv c = random_conv(16, 16, false, 10);
    ::setenv("MUSE_WINOGRAD", "0", 1);
    auto off = WinogradConv::create(c.weight, c.bias, c.relu);
    ::unsetenv("MUSE_WINOGRAD");
    EXPECT_EQ(off, nullptr);
}

TEST(WinogradConv, OnlyStrideOneThreeByThreeFoldedConvolutionsUseIt) {
    torch::nn::BatchNorm2d bn(16);
    bn->eval();
    SKIP_WITHOUT_WINOGRAD();
    const at::Tensor w3 = at::randn({16, 16, 3, 3}), w1 = at::randn({16, 16, 1, 1});
    EXPECT_NE(fold_batchnorm(w3, bn, 1, 1, true).winograd, nullptr);
    EXPECT_EQ(fold_batchnorm(w3, bn, 2, 1, true).winograd, nullptr);
    EXPECT_EQ(fold_batchnorm(w1, bn, 1, 0, true).winograd, nullptr);
}

}  // namespace
}  // namespace muse::nn
