// The BRCA-M2C dataset layout: label rows, split lists, errors naming file and line.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "muse/annotations.hpp"
#include "muse/errors.hpp"
#include "support/test_env.hpp"

namespace muse {
namespace {

using test::TempDir;
using test::write_file;

void make_dataset(const TempDir& dir, const std::string& labels) {
    std::filesystem::create_directories(dir / "images");
    std::filesystem::create_directories(dir / "labels");
    cv::imwrite((dir / "images" / "a.png").string(), cv::Mat(40, 50, CV_8UC3, cv::Scalar(200, 180, 190)));
    write_file(dir / "labels" / "a_gt_class_coords.txt", labels);
    write_file(dir / "split.txt", "a.png\n\n");
}

TEST(BrcaM2c, ReadsRowsAsYXClassWithClassesFromOne) {
    TempDir dir;
    make_dataset(dir, "10 20 1\n 5 7 3\n\n30 49 2\n12 3 4\n");
    const auto images = read_brca_m2c(dir.path(), "split.txt");
    ASSERT_EQ(images.size(), 1u);
    EXPECT_EQ(images[0].name, "a");
    EXPECT_EQ(images[0].image.width, 50);
    EXPECT_DOUBLE_EQ(images[0].mpp, 0.5);
    ASSERT_EQ(images[0].nuclei.size(), 4u);
    EXPECT_DOUBLE_EQ(images[0].nuclei[0].x, 20);  // file rows are Y X CLASS
    EXPECT_DOUBLE_EQ(images[0].nuclei[0].y, 10);
    EXPECT_EQ(images[0].nuclei[0].class_index, 0);
    EXPECT_EQ(images[0].nuclei[1].class_index, 2);
    EXPECT_EQ(images[0].nuclei[3].class_index, 3) << "a further class of a data set in this layout (a lab's own)";
    EXPECT_EQ(brca_m2c_classes().size(), 3u);
    EXPECT_EQ(brca_m2c_classes()[1].name, "Tumor");
}

TEST(BrcaM2cBadInput, ErrorsNameTheFileAndLine) {
    auto message_of = [](const std::string& labels) {
        TempDir dir;
        make_dataset(dir, labels);
        try {
            read_brca_m2c(dir.path(), "split.txt");
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(message_of("1 2 1\n3 4\n").find("a_gt_class_coords.txt' line 2: expected 'Y X CLASS', got '3 4'"),
              std::string::npos);
    EXPECT_NE(message_of("1 2 0\n").find("line 1: class 0 is not 1 (lymphocyte), 2 (tumour), 3 (stroma) or a further class"),
              std::string::npos);
    EXPECT_NE(message_of("1 2 250\n").find("line 1: class 250 is not"), std::string::npos);
    EXPECT_NE(message_of("1 2 1 7\n").find("line 1: expected"), std::string::npos);
    EXPECT_NE(message_of("39 60 1\n").find("nucleus 1 at (x 60.000000, y 39.000000) lies outside the 50x40 image"),
              std::string::npos);
    TempDir empty;
    write_file(empty / "split.txt", "\n");
    EXPECT_THROW(read_brca_m2c(empty.path(), "split.txt"), CorruptFile);
    EXPECT_THROW(read_brca_m2c(empty.path(), "missing.txt"), IoError);
}

TEST(BrcaM2c, TheSharedDatasetHasItsSplits) {
    MUSE_REQUIRE_SHARED_DIR("data/brca-m2c/split_val.txt");
    const auto dir = test::shared_dir() / "data" / "brca-m2c";
    const auto val = read_brca_m2c(dir, "split_val.txt");
    EXPECT_EQ(val.size(), 10u);
    std::size_t nuclei = 0;
    for (const auto& img : val) nuclei += img.nuclei.size();
    EXPECT_GT(nuclei, 1000u);
}

}  // namespace
}  // namespace muse
