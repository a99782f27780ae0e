// Stain changes in optical-density space: identity, the direction of each preset, white glass
// kept white, resampling that keeps the picture.
#include <gtest/gtest.h>

#include <cmath>

#include "muse/errors.hpp"
#include "muse/stain.hpp"

namespace muse {
namespace {

// Typical H&E colours: a haematoxylin-stained nucleus and eosin-stained stroma.
constexpr std::uint8_t kNucleus[3] = {70, 50, 140};
constexpr std::uint8_t kStroma[3] = {230, 150, 200};

std::array<std::uint8_t, 3> changed(const std::uint8_t (&rgb)[3], const StainChange& c) {
    std::array<std::uint8_t, 3> px = {rgb[0], rgb[1], rgb[2]};
    change_stains(px.data(), 1, c);
    return px;
}

int brightness(const std::array<std::uint8_t, 3>& px) { return px[0] + px[1] + px[2]; }

TEST(Stain, NoChangeIsTheIdentityAndGlassStaysWhite) {
    EXPECT_TRUE(StainChange{}.is_identity());
    EXPECT_EQ(changed(kNucleus, StainChange{}), (std::array<std::uint8_t, 3>{70, 50, 140}));
    for (const auto& name : stain_preset_names()) {
        const StainChange c = stain_preset(name);
        EXPECT_FALSE(c.is_identity()) << name;
        const std::uint8_t white[3] = {255, 255, 255};
        const auto w = changed(white, c);
        if (c.rgb_gain == std::array<double, 3>{1.0, 1.0, 1.0}) EXPECT_EQ(w, (std::array<std::uint8_t, 3>{255, 255, 255})) << name;
    }
    // Scale 1 through the deconvolution and back: within rounding.
    StainChange round_trip;
    round_trip.h_scale = 1.0 + 1e-12;
    const auto px = changed(kStroma, round_trip);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(px[c], kStroma[c], 1) << c;
}

TEST(Stain, PresetsMoveColoursTheWayTheirNamesSay) {
    // Less haematoxylin: the nucleus gets lighter; more: darker.
    EXPECT_GT(brightness(changed(kNucleus, stain_preset("weak-h"))), brightness(changed(kNucleus, StainChange{})) + 30);
    EXPECT_LT(brightness(changed(kNucleus, stain_preset("strong-h"))), brightness(changed(kNucleus, StainChange{})) - 30);
    // More eosin: stroma loses green (eosin absorbs green light most).
    EXPECT_LT(changed(kStroma, stain_preset("strong-e"))[1], kStroma[1] - 20);
    // A yellow tint: blue loses most.
    const auto tinted = changed(kStroma, stain_preset("yellow-tint"));
    EXPECT_EQ(tinted[0], kStroma[0]);
    EXPECT_LT(tinted[2], kStroma[2] - 30);
    EXPECT_EQ(stain_preset("none").is_identity(), true);
    try {
        stain_preset("purple");
        FAIL() << "expected an error";
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("weak-h-strong-e"), std::string::npos) << e.what();
    }
}

TEST(Stain, ResamplingKeepsThePictureAtTheNewSize) {
    RgbImage img(40, 30);
    for (int y = 0; y < 30; ++y) {
        for (int x = 0; x < 40; ++x) {
            std::uint8_t* p = img.at(x, y);
            p[0] = x < 20 ? 200 : 40;
            p[1] = 100;
            p[2] = y < 15 ? 220 : 60;
        }
    }
    const RgbImage big = resample_image(img, 2.0);
    EXPECT_EQ(big.width, 80);
    EXPECT_EQ(big.height, 60);
    EXPECT_EQ(big.at(10, 10)[0], 200);
    EXPECT_EQ(big.at(70, 50)[2], 60);
    const RgbImage small = resample_image(img, 0.5);
    EXPECT_EQ(small.width, 20);
    EXPECT_EQ(small.at(2, 2)[0], 200);
    EXPECT_THROW(resample_image(img, 0.0), InvalidArgument);
    EXPECT_THROW(resample_image(img, 100.0), InvalidArgument);
}

}  // namespace
}  // namespace muse
