// Slide sources: OpenSlide files and plain images, MPP from metadata, reading outside the
// slide, and the errors for files that are not slides.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <vector>

#include "muse/errors.hpp"
#include "muse/slide.hpp"
#include "support/test_env.hpp"

namespace muse {
namespace {

const std::filesystem::path kSamples = MUSE_SAMPLES_DIR;

TEST(SlideSources, TheSampleSvsOpensWithItsMpp) {
    const auto slide = open_slide(kSamples / "CMU-1-Small-Region.svs");
    EXPECT_EQ(slide->format(), "aperio");
    ASSERT_EQ(slide->levels().size(), 1u);
    EXPECT_EQ(slide->levels()[0].width, 2220);
    EXPECT_EQ(slide->levels()[0].height, 2967);
    EXPECT_NEAR(slide->mpp(), 0.499, 1e-9);
    // The region of the sample tile equals the PNG cut from it.
    const RgbImage region = slide->read_region(0, 1144, 1994, 224, 224);
    const RgbImage png = read_image_file(kSamples / "tile-224.png");
    EXPECT_EQ(region.pixels, png.pixels);
}

TEST(SlideSources, OutsideTheSlideIsWhite) {
    const auto slide = open_slide(kSamples / "CMU-1-Small-Region.svs");
    const RgbImage r = slide->read_region(0, -10, 2960, 20, 20);  // straddles the left and bottom edges
    EXPECT_EQ(r.at(0, 0)[0], 255);    // x < 0
    EXPECT_EQ(r.at(15, 15)[2], 255);  // y >= height
    const auto image = open_slide(kSamples / "tile-224.png");
    EXPECT_EQ(image->format(), "image");
    EXPECT_EQ(image->mpp(), 0.0) << "plain images do not tell their pixel size";
    const RgbImage i = image->read_region(0, 220, -2, 8, 8);
    EXPECT_EQ(i.at(7, 7)[1], 255);
    EXPECT_EQ(i.at(0, 0)[0], 255);  // y = -2
    const RgbImage one = image->read_region(0, 220, 3, 1, 1);
    EXPECT_TRUE(std::equal(one.pixels.begin(), one.pixels.end(), i.at(0, 5))) << "inside pixels are the image's";
}

TEST(SlideSources, MppComesFromOpenSlideOrTiffResolution) {
    auto mpp = [](std::map<std::string, std::string> props) {
        return mpp_from_properties([&](const std::string& k) { return props.count(k) ? props.at(k) : std::string(); });
    };
    EXPECT_DOUBLE_EQ(mpp({{"openslide.mpp-x", "0.25"}, {"openslide.mpp-y", "0.26"}}), 0.255);
    EXPECT_DOUBLE_EQ(mpp({{"tiff.XResolution", "20000"}, {"tiff.ResolutionUnit", "centimeter"}}), 0.5);
    EXPECT_DOUBLE_EQ(mpp({{"tiff.XResolution", "50800"}, {"tiff.ResolutionUnit", "inch"}}), 0.5);
    EXPECT_DOUBLE_EQ(mpp({{"tiff.XResolution", "10"}, {"tiff.ResolutionUnit", "centimeter"}}), 0.0)
        << "libvips' default resolution means unknown";
    EXPECT_DOUBLE_EQ(mpp({{"openslide.mpp-x", "abc"}}), 0.0);
    EXPECT_DOUBLE_EQ(mpp({}), 0.0);
}

TEST(SlideSources, PyramidalTiffFromVipsOpensWithItsLevels) {
    test::TempDir dir;
    const auto tif = dir / "pyramid.tif";
    std::string out;
    const std::string cmd = "vips tiffsave " + test::shell_quote((kSamples / "CMU-1-Small-Region.svs").string()) + " " +
                            test::shell_quote(tif.string()) +
                            " --tile --pyramid --compression jpeg --tile-width 256 --tile-height 256 --xres 2000 --yres 2000";
    ASSERT_EQ(test::run_command(cmd, &out), 0) << cmd << "\n" << out << "\n(libvips-tools: scripts/install-deps.sh)";
    const auto slide = open_slide(tif);
    EXPECT_EQ(slide->format(), "generic-tiff");
    ASSERT_GE(slide->levels().size(), 3u);
    EXPECT_NEAR(slide->levels()[1].downsample, 2.0, 0.01);
    EXPECT_NEAR(slide->mpp(), 0.5, 1e-6) << "2000 px/mm written by vips";
}

TEST(SlideSourcesBadInput, MissingAndForeignFilesAreNamed) {
    test::TempDir dir;
    try {
        open_slide(dir / "nope.svs");
        FAIL();
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("nope.svs"), std::string::npos);
    }
    test::write_file(dir / "random.svs", std::string(5000, '\x7f'));
    try {
        open_slide(dir / "random.svs");
        FAIL();
    } catch (const UnsupportedFormat& e) {
        EXPECT_NE(std::string(e.what()).find("random.svs' is neither a slide OpenSlide reads"), std::string::npos) << e.what();
    }
    EXPECT_THROW(open_slide(dir.path()), IoError);
}

TEST(PixelFeed, ReadsThroughTheCallersReaderWithLevel0Coordinates) {
    std::vector<std::array<std::int64_t, 5>> calls;
    std::mutex m;
    const auto feed = make_pixel_feed("feed", {{1000, 800, 1.0}, {250, 200, 4.0}}, 0.25,
                                      [&](int level, std::int64_t x, std::int64_t y, int w, int h) {
                                          std::lock_guard<std::mutex> lock(m);
                                          calls.push_back({level, x, y, w, h});
                                          RgbImage img(w, h);
                                          std::fill(img.pixels.begin(), img.pixels.end(), static_cast<std::uint8_t>(level + 1));
                                          return img;
                                      });
    EXPECT_EQ(feed->format(), "pixel-feed");
    EXPECT_DOUBLE_EQ(feed->mpp(), 0.25);
    ASSERT_EQ(feed->levels().size(), 2u);
    const RgbImage px = feed->read_region(1, 400, 40, 30, 20);
    EXPECT_EQ(px.width, 30);
    EXPECT_EQ(px.pixels[0], 2);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0], (std::array<std::int64_t, 5>{1, 400, 40, 30, 20}));
}

TEST(PixelFeedBadInput, BadLevelsAndWrongSizedPixelsAreNamed) {
    auto reader = [](int, std::int64_t, std::int64_t, int w, int h) { return RgbImage(w, h); };
    EXPECT_THROW(make_pixel_feed("f", {}, 0.5, reader), InvalidArgument);
    EXPECT_THROW(make_pixel_feed("f", {{100, 100, 2.0}}, 0.5, reader), InvalidArgument);               // level 0 not 1x
    EXPECT_THROW(make_pixel_feed("f", {{100, 100, 1.0}, {50, 50, 1.0}}, 0.5, reader), InvalidArgument); // not increasing
    EXPECT_THROW(make_pixel_feed("f", {{0, 100, 1.0}}, 0.5, reader), InvalidArgument);
    EXPECT_THROW(make_pixel_feed("f", {{100, 100, 1.0}}, -1, reader), InvalidArgument);
    EXPECT_THROW(make_pixel_feed("f", {{100, 100, 1.0}}, 0.5, nullptr), InvalidArgument);
    try {
        make_pixel_feed("levels of x.ndpi", {{100, 100, 1.0}, {50, 50, 0.5}}, 0.5, reader);
        FAIL();
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("levels of x.ndpi"), std::string::npos) << e.what();
    }
    const auto wrong = make_pixel_feed("short", {{100, 100, 1.0}}, 0.5, [](int, std::int64_t, std::int64_t, int, int) { return RgbImage(3, 3); });
    try {
        wrong->read_region(0, 0, 0, 10, 10);
        FAIL();
    } catch (const CorruptFile& e) {
        EXPECT_NE(std::string(e.what()).find("'short' supplied 3x3 pixels"), std::string::npos) << e.what();
    }
    EXPECT_THROW(wrong->read_region(1, 0, 0, 10, 10), InvalidArgument);
}

}  // namespace
}  // namespace muse
