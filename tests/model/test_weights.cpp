// Named weights: the prefixed tensor sets that checkpoint files carry beside a model's weights,
// and which part of the network a name belongs to (what the fine-tuning modes train).
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "model/network.hpp"
#include "muse/annotations.hpp"
#include "model/weights.hpp"
#include "nn/heads.hpp"

namespace muse::model {
namespace {

TEST(Weights, PrefixedSetsComeApartAsTheyWentIn) {
    NamedTensors weights{{"a.weight", at::full({2}, 1.0)}, {"adamant", at::full({1}, 2.0)}};
    const NamedTensors adam{{"a.weight.exp_avg", at::full({2}, 3.0)}, {"a.weight.step", at::full({1}, 4.0)}};
    const NamedTensors average{{"a.weight", at::full({2}, 5.0)}};
    NamedTensors all = weights;
    put_prefixed(all, adam, "adam.");
    put_prefixed(all, average, "average.");
    ASSERT_EQ(all.size(), 5u);
    EXPECT_TRUE(all.count("adam.a.weight.exp_avg"));

    const NamedTensors got_adam = take_prefixed(all, "adam.");
    const NamedTensors got_average = take_prefixed(all, "average.");
    ASSERT_EQ(got_adam.size(), 2u);
    ASSERT_EQ(got_average.size(), 1u);
    EXPECT_TRUE(got_adam.at("a.weight.exp_avg").equal(adam.at("a.weight.exp_avg")));
    EXPECT_TRUE(got_average.at("a.weight").equal(average.at("a.weight")));
    // What is left is the weights, "adamant" included: a prefix is matched with its dot.
    ASSERT_EQ(all.size(), 2u);
    EXPECT_TRUE(all.at("adamant").equal(weights.at("adamant")));
    EXPECT_TRUE(take_prefixed(all, "best.").empty());
}

/// The smallest variant with BRCA-M2C's classes.
ModelConfig smallest_config() {
    ModelConfig config;
    config.arch = "r50_w16";
    config.img_size = 224;
    config.classes = brca_m2c_classes();
    return config;
}

TEST(Weights, EveryParameterIsInTheBackboneTheHeadsOrTheDecoder) {
    const Network network = build_network(smallest_config());
    int backbone = 0, heads = 0, decoder = 0;
    for (const auto& p : network.net->named_parameters()) {
        const bool b = in_backbone(p.key()), h = in_heads(p.key());
        EXPECT_FALSE(b && h) << p.key();
        (b ? backbone : h ? heads : decoder) += 1;
    }
    EXPECT_GT(backbone, 0);
    EXPECT_GT(heads, 0);
    EXPECT_GT(decoder, 0);
    EXPECT_TRUE(in_backbone("encoder.encoder"));  // the module itself
    EXPECT_FALSE(in_backbone("encoder.encoder_proj.weight"));
    EXPECT_FALSE(in_heads("header.weight"));
}

TEST(Weights, TheTypeHeadsOutputTensorsHaveOneRowPerClassThenBackground) {
    // Fine-tuning's new classes and bench/model_without_class find H_type's last layer by these
    // names; a change to the heads' layout must move them too.
    const ModelConfig config = smallest_config();
    const Network network = build_network(config);
    const auto params = network.net->named_parameters();
    for (const char* name : nn::kTypeHeadOutputTensors) {
        const at::Tensor* t = params.find(name);
        ASSERT_NE(t, nullptr) << name;
        EXPECT_EQ(t->size(0), static_cast<std::int64_t>(config.classes.size()) + 1) << name;
        EXPECT_TRUE(in_heads(name)) << name;
    }
    EXPECT_EQ(params[nn::kTypeHeadOutputTensors[0]].dim(), 2);
    EXPECT_EQ(params[nn::kTypeHeadOutputTensors[1]].dim(), 1);
}

}  // namespace
}  // namespace muse::model
