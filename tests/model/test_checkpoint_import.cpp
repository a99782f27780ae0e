// Importing checkpoints laid out like the released MUSE .pth files.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "model/checkpoint_import.hpp"
#include "muse/model.hpp"
#include "nn/vit.hpp"
#include "support/checkpoint_writer.hpp"
#include "support/pickle_writer.hpp"
#include "support/test_env.hpp"

namespace muse {
namespace {

using muse::test::TempDir;

TEST(CheckpointImport, TakesTeacherBackboneAndReGridsThePositionEmbedding) {
    TempDir dir;
    muse::test::TestCheckpoint ckpt;
    ckpt.backbone = muse::test::untrained_backbone("vit_small", 224, 7);
    muse::test::write_checkpoint(dir / "c.pth", ckpt);
    ImportOptions opt;
    opt.arch = "vit_small";
    opt.img_size = 224;
    Model model = Model::import_checkpoint(dir / "c.pth", opt);
    auto sd = model.state_dict();
    ASSERT_EQ(sd.size(), ckpt.backbone.size());
    for (const auto& [name, t] : ckpt.backbone) {
        if (name == "encoder.encoder.pos_embed") {
            // The reference applies its bicubic re-grid even at the native grid; it is not identity.
            EXPECT_TRUE(at::equal(sd.at(name), nn::regrid_pos_embed(t, 14)));
            EXPECT_FALSE(at::equal(sd.at(name), t));
        } else {
            EXPECT_TRUE(at::equal(sd.at(name), t)) << name;
        }
    }
    EXPECT_EQ(model.config().arch, "vit_small");
    EXPECT_NE(model.config().provenance_json.find("\"checkpoint\":\"c.pth\""), std::string::npos);
}

TEST(CheckpointImport, InfersTheArchitectureWhenNotGiven) {
    TempDir dir;
    muse::test::TestCheckpoint ckpt;
    ckpt.backbone = muse::test::untrained_backbone("r50", 224, 3);
    muse::test::write_checkpoint(dir / "r.pth", ckpt);
    ImportOptions opt;
    opt.img_size = 224;
    EXPECT_EQ(Model::import_checkpoint(dir / "r.pth", opt).config().arch, "r50");
}

TEST(CheckpointImport, SummaryDescribesWhatWasReadAndSkipped) {
    TempDir dir;
    muse::test::TestCheckpoint ckpt;
    ckpt.backbone = muse::test::untrained_backbone("vit_small", 512, 7);
    muse::test::write_checkpoint(dir / "c.pth", ckpt);
    CheckpointSummary s = inspect_checkpoint(dir / "c.pth");
    EXPECT_EQ(s.top_level_keys, (std::vector<std::string>{"teacher", "student", "epoch", "optimizer", "args"}));
    EXPECT_EQ(s.backbone_tensors, 232u);
    EXPECT_EQ(s.ignored_teacher_entries, 1u);
    EXPECT_EQ(s.skipped_objects, (std::vector<std::string>{"argparse.Namespace"}));
    EXPECT_EQ(s.guessed_arch, "vit_small");
    EXPECT_EQ(s.pos_embed_grid, 32);
    EXPECT_TRUE(is_checkpoint_file(dir / "c.pth"));
}

TEST(CheckpointImport, ViewsIntoSharedStoragesAndHalfPrecisionAreRebuilt) {
    TempDir dir;
    // Storage "0": 12 halves; 'a' is a transposed 2x3 view at offset 2, 'b' the whole storage.
    at::Tensor storage = at::arange(12, at::kFloat).to(at::kHalf);
    muse::test::PickleWriter p;
    p.proto(2).empty_dict().str("teacher").empty_dict().mark();
    p.str("module.backbone.a").tensor("HalfStorage", "0", 12, 2, {2, 3}, {1, 2});
    p.str("module.backbone.b").tensor("HalfStorage", "0", 12, 0, {12}, {1});
    p.str("module.head.w").tensor("HalfStorage", "0", 12, 0, {12}, {1});
    p.setitems().setitem().stop();
    const std::string bytes(static_cast<const char*>(storage.data_ptr()), 24);
    muse::test::write_file(dir / "v.pth", muse::test::zip_with_records({{"data.pkl", p.data()}, {"data/0", bytes}}));
    model::CheckpointBackbone b = model::read_checkpoint_backbone(dir / "v.pth");
    ASSERT_EQ(b.weights.size(), 2u);
    EXPECT_EQ(b.ignored_teacher_entries, 1u);
    const at::Tensor& a = b.weights.at("a");
    EXPECT_EQ(a.scalar_type(), at::kFloat);
    EXPECT_TRUE(a.is_contiguous());
    EXPECT_TRUE(at::equal(a, at::arange(12, at::kFloat).as_strided({2, 3}, {1, 2}, 2)));
    EXPECT_TRUE(at::equal(b.weights.at("b"), at::arange(12, at::kFloat)));
}

}  // namespace
}  // namespace muse
