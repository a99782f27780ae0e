// Bad tiles, points and images given to the model: clear errors, no crash.
// Also built under AddressSanitizer + UBSan (ctest label "sanitized").
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "muse/errors.hpp"
#include "muse/model.hpp"
#include "support/test_env.hpp"

namespace muse {
namespace {

const Model& small_model() {
    static const Model m = [] {
        ModelConfig c;
        c.arch = "vit_small";
        c.img_size = 224;
        return Model::create_untrained(c, 2);
    }();
    return m;
}

#define EXPECT_INVALID(stmt, part)                                                 \
    try {                                                                          \
        stmt;                                                                      \
        ADD_FAILURE() << "no error from " #stmt;                                   \
    } catch (const InvalidArgument& e) {                                           \
        EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what(); \
    }

TEST(ForwardBadInput, NonSquareTileIsRejected) {
    EXPECT_INVALID(small_model().forward(at::zeros({1, 64, 96, 3}, at::kByte)), "got 96x64 (width x height)");
}

TEST(ForwardBadInput, SideNotAMultipleOf32IsRejected) {
    EXPECT_INVALID(small_model().forward(at::zeros({1, 100, 100, 3}, at::kByte)), "multiple of 32");
    EXPECT_INVALID(small_model().point_features(RgbImage(48, 48), {{1, 1}}), "multiple of 32");
}

TEST(ForwardBadInput, WrongLayoutOrTypeIsRejected) {
    EXPECT_INVALID(small_model().forward(at::zeros({1, 3, 64, 64}, at::kByte)), "[batch, height, width, 3]");
    EXPECT_INVALID(small_model().forward(at::zeros({1, 64, 64, 3}, at::kFloat)), "uint8");
    EXPECT_INVALID(small_model().forward(at::Tensor()), "uint8");
}

TEST(ForwardBadInput, PointsOutsideTheTileAreRejected) {
    RgbImage tile(64, 64);
    EXPECT_INVALID(small_model().point_features(tile, {{1, 1}, {64.5, 3}}), "point 1 (x=64.5");
    EXPECT_INVALID(small_model().point_features(tile, {{-0.01, 3}}), "outside the 64x64 tile");
    EXPECT_INVALID(small_model().point_features(tile, {{std::nan(""), 3}}), "point 0");
    // The closed square [0, S] is inside: both borders are valid sampling positions.
    EXPECT_EQ(small_model().point_features(tile, {{0, 0}, {64, 64}}).size(0), 2);
}

TEST(ImageBadInput, UnreadableImagesAreNamed) {
    muse::test::TempDir dir;
    muse::test::write_file(dir / "broken.png", "\x89PNG\r\n\x1a\n this is not really a PNG");
    try {
        read_image_file(dir / "broken.png");
        FAIL();
    } catch (const UnsupportedFormat& e) {
        EXPECT_NE(std::string(e.what()).find("broken.png' cannot be decoded"), std::string::npos) << e.what();
    }
    EXPECT_THROW(read_image_file(dir / "missing.png"), IoError);
    EXPECT_THROW(read_image_file(dir.path()), IoError);
}

}  // namespace
}  // namespace muse
