// Parity with the official MUSE Python code: for every case of ../shared/fixtures/parity, the
// checkpoint made by the fixture's make_checkpoint.py is imported here and the point features
// must match the reference's within the fixture's tolerance (max 1e-3, mean 1e-4).
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "muse/array_files.hpp"
#include "muse/model.hpp"
#include "support/test_env.hpp"

namespace muse {
namespace {

constexpr double kMaxAbs = 1e-3;
constexpr double kMeanAbs = 1e-4;

struct CheckpointGroup {
    std::string arch;
    int seed;
    int grid;
};

// gtest prints parameters in test names; without this it prints the struct's raw bytes.
void PrintTo(const CheckpointGroup& g, std::ostream* os) { *os << g.arch << " seed " << g.seed << " grid " << g.grid; }

std::filesystem::path fixture_dir() { return muse::test::shared_dir() / "fixtures" / "parity"; }

class Parity : public ::testing::TestWithParam<CheckpointGroup> {};

TEST_P(Parity, PointFeaturesMatchTheReference) {
    MUSE_REQUIRE_SHARED_DIR("fixtures/parity/cases.json");
    const CheckpointGroup group = GetParam();
    const std::string python = muse::test::python_with_torch();
    std::string probe;
    ASSERT_EQ(muse::test::run_command(python + " -c 'import torch'", &probe), 0)
        << python << " cannot import torch (install python3-torch: scripts/install-deps.sh): " << probe;

    nlohmann::json cases;
    std::ifstream(fixture_dir() / "cases.json") >> cases;
    muse::test::TempDir dir;
    const auto ckpt = dir / (group.arch + "_" + std::to_string(group.seed) + ".pth");
    std::string out;
    const std::string cmd = python + " " + muse::test::shell_quote((fixture_dir() / "make_checkpoint.py").string()) +
                            " " + group.arch + " " + std::to_string(group.seed) + " " +
                            muse::test::shell_quote(ckpt.string()) + " --grid " +
                            std::to_string(group.grid ? group.grid : 14);
    ASSERT_EQ(muse::test::run_command(cmd, &out), 0) << cmd << "\n" << out;

    int matched_cases = 0;
    for (const auto& c : cases) {
        if (c["arch"] != group.arch || c["seed"] != group.seed || c["grid"] != group.grid) continue;
        ++matched_cases;
        const std::string name = c["name"];
        ImportOptions opt;
        opt.arch = group.arch;
        opt.img_size = c["img_size"];
        Model model = Model::import_checkpoint(ckpt, opt);
        RgbImage tile = read_image_file(fixture_dir() / c["image"].get<std::string>());
        std::vector<Point> points = read_points_csv(fixture_dir() / c["points"].get<std::string>());
        // The first pass with a tile size runs LibTorch's convolutions; from the second on, the
        // decoder's 3x3 convolutions run on oneDNN's Winograd kernels where the CPU has them
        // (nn/winograd_conv.hpp). Both must match the reference.
        at::Tensor ours = model.point_features(tile, points);
        at::Tensor ours_steady = model.point_features(tile, points);
        NpyArray expected = read_npy_f32(fixture_dir() / "expected" / (name + ".npy"));
        ASSERT_EQ(expected.shape, (std::vector<std::int64_t>{ours.size(0), ours.size(1)})) << name;
        at::Tensor ref = at::from_blob(expected.values.data(), {ours.size(0), ours.size(1)});
        for (const auto& [pass, feats] : {std::pair<std::string, at::Tensor>{"first pass", ours}, {"steady state", ours_steady}}) {
            const double max_abs = (feats - ref).abs().max().item<double>();
            const double mean_abs = (feats - ref).abs().mean().item<double>();
            RecordProperty(name + " " + pass + " max_abs", std::to_string(max_abs));
            std::cout << "[ parity   ] " << name << ", " << pass << ": max |diff| " << max_abs << ", mean |diff| "
                      << mean_abs << "\n";
            EXPECT_LE(max_abs, kMaxAbs) << name << ", " << pass;
            EXPECT_LE(mean_abs, kMeanAbs) << name << ", " << pass;
        }

        // The model file keeps exactly what the import produced.
        model.save(dir / "m.muse");
        EXPECT_TRUE(at::equal(Model::load(dir / "m.muse").point_features(tile, points), ours)) << name;
    }
    EXPECT_GT(matched_cases, 0) << "no fixture case uses " << group.arch << " seed " << group.seed;
}

// The distinct checkpoints of cases.json (one per test, so each is made once).
INSTANTIATE_TEST_SUITE_P(Fixture, Parity,
                         ::testing::Values(CheckpointGroup{"vit_small", 11, 14}, CheckpointGroup{"vit_small", 12, 32},
                                           CheckpointGroup{"vit_base", 13, 14}, CheckpointGroup{"r50", 14, 0}),
                         [](const auto& info) { return info.param.arch + "_seed" + std::to_string(info.param.seed); });

TEST(ParityFixture, EveryCaseIsCoveredByAGroup) {
    MUSE_REQUIRE_SHARED_DIR("fixtures/parity/cases.json");
    nlohmann::json cases;
    std::ifstream(fixture_dir() / "cases.json") >> cases;
    const std::set<std::string> groups = {"vit_small/11/14", "vit_small/12/32", "vit_base/13/14", "r50/14/0"};
    for (const auto& c : cases) {
        const std::string key = c["arch"].get<std::string>() + "/" + std::to_string(c["seed"].get<int>()) + "/" +
                                std::to_string(c["grid"].get<int>());
        EXPECT_TRUE(groups.count(key)) << "case " << c["name"] << " (" << key << ") is not run by the parity test";
    }
}

}  // namespace
}  // namespace muse
