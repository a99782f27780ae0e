// The `muse` command end to end: import, info, features, and its error behaviour.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "muse/array_files.hpp"
#include "muse/model.hpp"
#include "support/cli_refusal.hpp"
#include "support/test_env.hpp"

namespace muse {
namespace {

using muse::test::shell_quote;
using muse::test::TempDir;

const std::string kMakeCheckpoint = MUSE_MAKE_CHECKPOINT_PATH;
const std::filesystem::path kSamples = MUSE_SAMPLES_DIR;


/// One imported model per test process (import is the first thing several tests need).
class Cli : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir();
        std::string out;
        ASSERT_EQ(muse::test::run_command(kMakeCheckpoint + " vit_small 224 5 " + shell_quote(ckpt().string()), &out), 0)
            << out;
    }
    static void TearDownTestSuite() { delete dir_; }
    static std::filesystem::path ckpt() { return *dir_ / "vit_s_16-224.pth"; }
    static TempDir* dir_;
};
TempDir* Cli::dir_ = nullptr;

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

TEST_F(Cli, ImportThenInfoThenFeatures) {
    TempDir work;
    std::string out;
    const auto model = work / "m.muse";
    ASSERT_EQ(test::run_muse("import " + shell_quote(ckpt()) + " --arch vit_small --img-size 224 -o " + shell_quote(model), &out), 0)
        << out;
    EXPECT_HAS(out, "wrote");
    EXPECT_HAS(out, "31,070,784 parameters");

    ASSERT_EQ(test::run_muse("info " + shell_quote(model), &out), 0) << out;
    EXPECT_HAS(out, "architecture:        vit_small");
    EXPECT_HAS(out, "model image size:    224 px");
    EXPECT_HAS(out, "working resolution:  0.5 um/px");
    EXPECT_HAS(out, "parameters:          31,070,784");
    EXPECT_HAS(out, "classes:             none");

    const auto feats = work / "f.npy";
    ASSERT_EQ(test::run_muse("--threads 1 features -m " + shell_quote(model) + " --image " +
                       shell_quote(kSamples / "tile-224.png") + " --points " +
                       shell_quote(kSamples / "points-224.csv") + " -o " + shell_quote(feats),
                   &out),
              0)
        << out;
    EXPECT_HAS(out, "12 points x 384 features");
    NpyArray a = read_npy_f32(feats);
    ASSERT_EQ(a.shape, (std::vector<std::int64_t>{12, 384}));

    // The file equals what the library computes for the same inputs.
    Model lib = Model::load(model);
    at::Tensor expected = lib.point_features(read_image_file(kSamples / "tile-224.png"),
                                             read_points_csv(kSamples / "points-224.csv"));
    EXPECT_TRUE(at::allclose(at::from_blob(a.values.data(), {12, 384}), expected, 1e-5, 1e-6));
}

TEST_F(Cli, InfoDescribesACheckpoint) {
    std::string out;
    ASSERT_EQ(test::run_muse("info " + shell_quote(ckpt()), &out), 0) << out;
    EXPECT_HAS(out, "top-level keys:      teacher, student, epoch, optimizer, args");
    EXPECT_HAS(out, "232 under teacher/module.backbone.");
    EXPECT_HAS(out, "skipped objects:     argparse.Namespace");
    EXPECT_HAS(out, "architecture:        vit_small (from the weights)");
}

TEST_F(Cli, FeaturesAcceptsACheckpointDirectly) {
    TempDir work;
    std::string out;
    ASSERT_EQ(test::run_muse("import " + shell_quote(ckpt()) + " --img-size 224 -o " + shell_quote(work / "m.muse"), &out), 0) << out;
    const std::string common = " --image " + shell_quote(kSamples / "tile-224.png") + " --points " +
                               shell_quote(kSamples / "points-224.csv");
    ASSERT_EQ(test::run_muse("features -m " + shell_quote(work / "m.muse") + common + " -o " + shell_quote(work / "a.npy"), &out), 0)
        << out;
    ASSERT_EQ(test::run_muse("features -m " + shell_quote(ckpt()) + " --img-size 224" + common + " -o " + shell_quote(work / "b.npy"),
                   &out),
              0)
        << out;
    EXPECT_EQ(read_npy_f32(work / "a.npy").values, read_npy_f32(work / "b.npy").values);
}

TEST_F(Cli, ErrorsAreClearAndLeaveNoOutput) {
    TempDir work;
    std::string out;
    EXPECT_NE(test::run_muse("import " + shell_quote(ckpt()) + " -o " + shell_quote(work / "x.muse"), &out), 0);
    EXPECT_HAS(out, "--img-size is required");

    EXPECT_TRUE(test::muse_refuses("import " + shell_quote(ckpt()) + " --arch r50 --img-size 224 -o " + shell_quote(work / "x.muse"),
                                   {"muse: error: importing '", "the checkpoint looks like 'vit_small', not 'r50'"}, work / "x.muse"));

    EXPECT_EQ(test::run_muse("features -m " + shell_quote(ckpt()) + " --img-size 224 --image " +
                       shell_quote(kSamples / "tile-512.png") + " --points " + shell_quote(kSamples / "points-224.csv") +
                       " -o " + shell_quote(work / "ok.npy"),
                   &out),
              0)
        << out;
    muse::test::write_file(work / "far.csv", "x,y\n10,10\n600,10\n");
    EXPECT_TRUE(test::muse_refuses("features -m " + shell_quote(ckpt()) + " --img-size 224 --image " +
                                       shell_quote(kSamples / "tile-224.png") + " --points " + shell_quote(work / "far.csv") +
                                       " -o " + shell_quote(work / "f.npy"),
                                   "tile-224.png': point 1 (x=600", work / "f.npy"));

    muse::test::write_file(work / "odd.png", "");
    EXPECT_EQ(test::run_muse("features -m " + shell_quote(ckpt()) + " --img-size 224 --image " + shell_quote(work / "odd.png") +
                       " --points " + shell_quote(kSamples / "points-224.csv") + " -o " + shell_quote(work / "f.npy"),
                   &out),
              1);
    EXPECT_HAS(out, "odd.png' cannot be decoded");

    EXPECT_NE(test::run_muse("info " + shell_quote(work / "missing.muse"), &out), 0);
    EXPECT_HAS(out, "missing.muse");
}

TEST_F(Cli, HelpTeachesWithExamples) {
    std::string out;
    ASSERT_EQ(test::run_muse("--help", &out), 0);
    EXPECT_HAS(out, "import");
    EXPECT_HAS(out, "features");
    for (const std::string cmd : {"import", "info", "features"}) {
        ASSERT_EQ(test::run_muse(cmd + " --help", &out), 0) << cmd;
        EXPECT_HAS(out, "Example");
    }
    ASSERT_EQ(test::run_muse("--version", &out), 0);
    EXPECT_HAS(out, "0.");
}

}  // namespace
}  // namespace muse
