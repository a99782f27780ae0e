// `muse render` end to end: a picture of a region with coloured detections and a legend.
#include <gtest/gtest.h>

#include <array>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "muse/geojson.hpp"
#include "muse/image.hpp"
#include "support/test_env.hpp"

namespace muse {
namespace {

using test::shell_quote;
using test::TempDir;


using Rgb = std::array<std::uint8_t, 3>;
const Rgb kRed{200, 0, 0}, kBlue{0, 0, 220};

Rgb pixel(const RgbImage& img, int x, int y) {
    const std::uint8_t* p = img.at(x, y);
    return {p[0], p[1], p[2]};
}

class CliRender : public ::testing::Test {
protected:
    void SetUp() override {
        // A pale 400 x 300 "slide" and three detections: two classes, one outside the region.
        cv::Mat bgr(300, 400, CV_8UC3, cv::Scalar(230, 220, 240));
        cv::imwrite((dir_ / "slide.png").string(), bgr);
        DetectionWriterOptions o;
        o.classes = {{"Tumor", kRed}, {"Lymphocyte", kBlue}};
        auto w = DetectionWriter::create(dir_ / "d.geojson", o);
        for (auto [x, y, k] : {std::tuple{300.0, 200.0, 0}, {350.0, 250.0, 1}, {20.0, 280.0, 1}}) {
            Detection d;
            d.x = x;
            d.y = y;
            d.class_index = k;
            d.score = 0.9f;
            d.probabilities = {k == 0 ? 0.9f : 0.1f, k == 1 ? 0.9f : 0.1f};
            w->write(d);
        }
        w->commit();
    }
    std::string args(const std::string& extra) const {
        return "render " + shell_quote((dir_ / "slide.png").string()) + " --detections " + shell_quote((dir_ / "d.geojson").string()) +
               " -o " + shell_quote((dir_ / "out.png").string()) + " " + extra;
    }
    TempDir dir_;
};

TEST_F(CliRender, DetectionsPaintTheirClassColourWhereTheyAreAndTheLegendCountsTheRegion) {
    std::string out;
    ASSERT_EQ(test::run_muse(args("--region 100,50,300,250"), &out), 0) << out;
    EXPECT_NE(out.find("2 detections in the region"), std::string::npos) << out;
    const RgbImage img = read_image_file(dir_ / "out.png");
    ASSERT_EQ(img.width, 300);
    ASSERT_EQ(img.height, 250);
    EXPECT_EQ(pixel(img, 200, 150), kRed) << "(300, 200) of the slide is (200, 150) of the picture";
    EXPECT_EQ(pixel(img, 250, 200), kBlue);
    EXPECT_EQ(pixel(img, 290, 240), (Rgb{240, 220, 230})) << "the slide's own pixels elsewhere";
    bool legend_swatch = false;
    for (int y = 8; y < 60; ++y) legend_swatch = legend_swatch || pixel(img, 20, y) == kRed;
    EXPECT_TRUE(legend_swatch) << "the legend's first entry is the Tumor swatch at the top left";
    ASSERT_EQ(test::run_muse(args("--region 100,50,300,250 --no-legend"), &out), 0) << out;
    const RgbImage bare = read_image_file(dir_ / "out.png");
    for (int y = 8; y < 60; ++y) EXPECT_NE(pixel(bare, 20, y), kRed);
}

TEST_F(CliRender, MppScalesThePictureAndBadInputIsNamed) {
    std::string out;
    ASSERT_EQ(test::run_muse(args("--region 200,150,200,150 --mpp 0.25 --slide-mpp 0.5"), &out), 0) << out;
    const RgbImage img = read_image_file(dir_ / "out.png");
    ASSERT_EQ(img.width, 400) << "0.5 um/px shown at 0.25 um/px: twice the size";
    EXPECT_EQ(pixel(img, 200, 100), kRed);
    EXPECT_NE(test::run_muse(args("--mpp 0.25"), &out), 0);
    EXPECT_NE(out.find("does not say its pixel size"), std::string::npos) << out;
    EXPECT_NE(test::run_muse(args("--region 0,0,100000,100000 --mpp 0.00001 --slide-mpp 0.5"), &out), 0);
    EXPECT_NE(out.find("at most 32768 a side"), std::string::npos) << out;
    EXPECT_NE(test::run_muse(args("--region 1,2,3"), &out), 0);
    EXPECT_NE(out.find("--region must be x,y,w,h"), std::string::npos) << out;
    EXPECT_NE(test::run_muse(args("--region 0,0,-5,10"), &out), 0);
    EXPECT_NE(out.find("w and h > 0"), std::string::npos) << out;
    test::write_file(dir_ / "d.geojson", "{not json");
    EXPECT_NE(test::run_muse(args(""), &out), 0);
    EXPECT_NE(out.find("d.geojson' is not valid JSON"), std::string::npos) << out;
}

}  // namespace
}  // namespace muse
