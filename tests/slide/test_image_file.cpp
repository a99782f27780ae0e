// Reading plain image files into RGB.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "muse/image.hpp"
#include "support/test_env.hpp"

namespace muse {
namespace {

TEST(ImageFile, PixelsComeBackInRgbOrder) {
    muse::test::TempDir dir;
    cv::Mat bgr(2, 3, CV_8UC3, cv::Scalar(0, 0, 0));
    bgr.at<cv::Vec3b>(0, 0) = {255, 0, 0};    // blue in OpenCV's BGR
    bgr.at<cv::Vec3b>(1, 2) = {10, 20, 250};  // mostly red
    ASSERT_TRUE(cv::imwrite((dir / "p.png").string(), bgr));
    RgbImage img = read_image_file(dir / "p.png");
    ASSERT_EQ(img.width, 3);
    ASSERT_EQ(img.height, 2);
    EXPECT_EQ(img.at(0, 0)[0], 0);
    EXPECT_EQ(img.at(0, 0)[2], 255);
    EXPECT_EQ(img.at(2, 1)[0], 250);
    EXPECT_EQ(img.at(2, 1)[1], 20);
    EXPECT_EQ(img.at(2, 1)[2], 10);
}

TEST(ImageFile, AlphaIsDroppedAndGreyIsExpanded) {
    muse::test::TempDir dir;
    cv::Mat rgba(4, 4, CV_8UC4, cv::Scalar(1, 2, 3, 0));
    ASSERT_TRUE(cv::imwrite((dir / "a.png").string(), rgba));
    RgbImage a = read_image_file(dir / "a.png");
    EXPECT_EQ(a.pixels.size(), 4u * 4u * 3u);
    EXPECT_EQ(a.at(1, 1)[0], 3);
    cv::Mat grey(4, 4, CV_8UC1, cv::Scalar(77));
    ASSERT_TRUE(cv::imwrite((dir / "g.png").string(), grey));
    RgbImage g = read_image_file(dir / "g.png");
    EXPECT_EQ(g.at(3, 3)[0], 77);
    EXPECT_EQ(g.at(3, 3)[2], 77);
}

}  // namespace
}  // namespace muse
