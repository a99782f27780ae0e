// Label-free adaptation: only BatchNorm statistics change, they blend with the model's own by
// the weight, the result is recorded in the provenance, and bad requests are clear errors.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "muse/adapt.hpp"
#include "muse/errors.hpp"
#include "muse/stain.hpp"
#include "support/synthetic_nuclei.hpp"

namespace muse {
namespace {

std::vector<AdaptSlide> shifted_slides() {
    StainChange weak;  // a lab with weaker haematoxylin and stronger eosin
    weak.h_scale = 0.6;
    weak.e_scale = 1.6;
    std::vector<AdaptSlide> slides;
    for (int i = 0; i < 3; ++i) {
        LabelledImage img = test::synthetic_nuclei_image(256, 256, 40, 700 + i);
        change_stains(img.image.pixels.data(), img.image.pixels.size() / 3, weak);
        slides.push_back({image_slide(img.image, 0.5, img.name), 0.0});
    }
    return slides;
}

bool is_statistic(const std::string& name) {
    return name.find("running_mean") != std::string::npos || name.find("running_var") != std::string::npos ||
           name.find("num_batches_tracked") != std::string::npos;
}

/// Eight small tiles: enough for every statistic to move, quick on a CPU.
AdaptOptions eight_small_tiles() {
    AdaptOptions o;
    o.tiles = 8;
    o.tile_px = 128;
    return o;
}

TEST(BatchNormAdaptation, OnlyTheStatisticsChangeAndTheyBlendByTheWeight) {
    const Model base = test::synthetic_detector();
    AdaptOptions o = eight_small_tiles();
    const AdaptResult full = adapt_batchnorm(base, shifted_slides(), o);
    o.weight = 0.25;
    const AdaptResult blend = adapt_batchnorm(base, shifted_slides(), o);
    EXPECT_EQ(full.tiles, 8);
    EXPECT_GT(full.batchnorm_layers, 10);
    const auto before = base.state_dict(), after = full.model.state_dict(), mixed = blend.model.state_dict();
    int changed = 0;
    for (const auto& [name, t] : before) {
        if (!is_statistic(name)) {
            EXPECT_TRUE(at::equal(t, after.at(name))) << name << " is not a statistic and must not change";
            continue;
        }
        if (name.find("num_batches_tracked") != std::string::npos) continue;
        if (!at::allclose(t, after.at(name))) ++changed;
        EXPECT_TRUE(at::allclose(mixed.at(name), 0.25 * after.at(name) + 0.75 * t, 1e-4, 1e-6)) << name;
    }
    EXPECT_GT(changed, 20) << "the shifted tiles must move the statistics";
    const auto provenance = nlohmann::json::parse(full.model.config().provenance_json);
    EXPECT_EQ(provenance["batchnorm_adaptation"]["tiles"], 8);
    EXPECT_EQ(provenance["batchnorm_adaptation"]["slides"], 3);
}

// One pass over the tiles gives every weight: blending the weight-1 statistics with the
// model's own is what adapt_batchnorm itself does at that weight.
TEST(BatchNormAdaptation, BlendingTheLabsStatisticsEqualsAdaptingAtThatWeight) {
    const Model base = test::synthetic_detector();
    AdaptOptions o = eight_small_tiles();
    const AdaptResult lab = adapt_batchnorm(base, shifted_slides(), o);
    o.weight = 0.5;
    const AdaptResult half = adapt_batchnorm(base, shifted_slides(), o);
    const Model blended = blend_batchnorm_statistics(base, lab, 0.5);
    const auto expected = half.model.state_dict(), got = blended.state_dict(), own = base.state_dict();
    int statistics = 0;
    for (const auto& [name, t] : expected) {
        EXPECT_TRUE(at::allclose(got.at(name), t, 1e-5, 1e-6)) << name;
        if (is_statistic(name) && name.find("num_batches_tracked") == std::string::npos) ++statistics;
    }
    EXPECT_GT(statistics, 20);
    EXPECT_EQ(nlohmann::json::parse(blended.config().provenance_json)["batchnorm_adaptation"]["weight"], 0.5);
    const auto none = blend_batchnorm_statistics(base, lab, 0.0).state_dict();
    for (const auto& [name, t] : own) EXPECT_TRUE(at::equal(none.at(name), t)) << name << ": weight 0 is the model itself";
    const auto all = blend_batchnorm_statistics(base, lab, 1.0).state_dict(), lab_weights = lab.model.state_dict();
    for (const auto& [name, t] : lab_weights) EXPECT_TRUE(at::allclose(all.at(name), t)) << name;
    EXPECT_THROW(blend_batchnorm_statistics(base, lab, 1.5), InvalidArgument);
    EXPECT_THROW(blend_batchnorm_statistics(base, half, 0.5), InvalidArgument) << "needs the lab's statistics alone";
}

TEST(BatchNormAdaptation, BadRequestsAreClearErrors) {
    const Model base = test::synthetic_detector();
    EXPECT_THROW(adapt_batchnorm(base, {}, {}), InvalidArgument);
    AdaptOptions o;
    o.batch = 1;
    EXPECT_THROW(adapt_batchnorm(base, shifted_slides(), o), InvalidArgument);
    o = {};
    o.weight = 0.0;
    EXPECT_THROW(adapt_batchnorm(base, shifted_slides(), o), InvalidArgument);
    // Glass only: no tissue tile to learn from.
    RgbImage glass(256, 256);
    std::fill(glass.pixels.begin(), glass.pixels.end(), std::uint8_t{245});
    try {
        adapt_batchnorm(base, {{image_slide(glass, 0.5, "glass.png"), 0.0}}, {});
        FAIL() << "glass has no tissue";
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("no tissue tile"), std::string::npos) << e.what();
    }
}

// Fine-tuning's optional first step: nothing instead of an error when adaptation cannot be done.
TEST(BatchNormAdaptation, IfPossibleGivesNothingWhereAdaptationWouldFail) {
    const Model base = test::synthetic_detector();
    RgbImage glass(256, 256);
    std::fill(glass.pixels.begin(), glass.pixels.end(), std::uint8_t{245});
    EXPECT_FALSE(adapt_batchnorm_if_possible(base, {{image_slide(glass, 0.5, "glass.png"), 0.0}}, {}, 8));
    AdaptOptions o;
    o.tile_px = 128;
    EXPECT_FALSE(adapt_batchnorm_if_possible(base, shifted_slides(), o, 1000)) << "fewer tissue tiles than asked for";
    const auto some = adapt_batchnorm_if_possible(base, shifted_slides(), o, 8);
    ASSERT_TRUE(some);
    EXPECT_GE(some->tiles, 8);
    o.batch = 1;  // a bad option is still an error
    EXPECT_THROW(adapt_batchnorm_if_possible(base, shifted_slides(), o, 8), InvalidArgument);
}

}  // namespace
}  // namespace muse
