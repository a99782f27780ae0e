// The per-model bfloat16 weight copies (nn/bf16_weights.hpp): made once, reused, used only on
// the thread and for the pass that asked for them. Plain tensor conversions: no bfloat16 CPU
// needed, so these run everywhere.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include <ATen/ATen.h>

#include "nn/bf16_weights.hpp"

namespace muse::nn {
namespace {

TEST(Bf16Weights, CopiesOnceKeepingShapeLayoutAndValues) {
    Bf16Weights cache;
    const at::Tensor w = at::randn({8, 4, 3, 3}).contiguous(at::MemoryFormat::ChannelsLast);
    const long owners = w.use_count();
    const at::Tensor a = cache.get(w);
    EXPECT_EQ(a.scalar_type(), at::kBFloat16);
    EXPECT_EQ(a.sizes(), w.sizes());
    EXPECT_TRUE(a.is_contiguous(at::MemoryFormat::ChannelsLast)) << "the convolutions' layout is kept";
    EXPECT_TRUE(at::equal(a, w.to(at::kBFloat16)));
    const at::Tensor b = cache.get(w);
    EXPECT_EQ(a.data_ptr(), b.data_ptr()) << "the second request reuses the first copy";
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_EQ(w.use_count(), owners + 1) << "the cache keeps the original alive, so its address stays its own";
    cache.get(at::randn({3}));
    EXPECT_EQ(cache.size(), 2u);
}

TEST(Bf16Weights, UsedOnlyWhileCurrentOnThisThread) {
    Bf16Weights cache;
    const at::Tensor w = at::randn({6, 5});
    EXPECT_TRUE(weight_for_pass(w).is_same(w)) << "no copies current: the float32 weight itself";
    {
        UseBf16Weights use(cache);
        EXPECT_EQ(weight_for_pass(w).scalar_type(), at::kBFloat16);
        EXPECT_FALSE(weight_for_pass(at::Tensor()).defined()) << "a missing bias stays missing";
        at::Tensor elsewhere;
        std::thread other([&] { elsewhere = weight_for_pass(w); });
        other.join();
        EXPECT_TRUE(elsewhere.is_same(w)) << "another thread's pass is not affected";
        Bf16Weights inner;
        {
            UseBf16Weights nested(inner);
            weight_for_pass(w);
        }
        EXPECT_EQ(inner.size(), 1u);
        EXPECT_EQ(weight_for_pass(w).data_ptr(), cache.get(w).data_ptr()) << "the outer set is current again";
    }
    EXPECT_TRUE(weight_for_pass(w).is_same(w));
    EXPECT_EQ(cache.size(), 1u);
}

TEST(Bf16Weights, ThreadsAskingAtOnceShareOneCopy) {
    Bf16Weights cache;
    const at::Tensor w = at::randn({64, 64});
    std::vector<void*> seen(4, nullptr);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < seen.size(); ++i) {
        threads.emplace_back([&, i] {
            UseBf16Weights use(cache);
            seen[i] = weight_for_pass(w).data_ptr();
        });
    }
    for (auto& t : threads) t.join();
    for (void* p : seen) EXPECT_EQ(p, seen[0]);
    EXPECT_EQ(cache.size(), 1u);
}

}  // namespace
}  // namespace muse::nn
