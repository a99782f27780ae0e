// Damaged, foreign and mismatched checkpoints: each a clear error, never a crash.
// Also built under AddressSanitizer + UBSan (ctest label "sanitized").
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "muse/errors.hpp"
#include "muse/model.hpp"
#include "support/checkpoint_writer.hpp"
#include "support/pickle_writer.hpp"
#include "support/test_env.hpp"

namespace muse {
namespace {

using muse::test::TempDir;

/// One valid vit_small checkpoint per test process, shared by the tests below.
class CheckpointBadInput : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir();
        weights_ = new std::map<std::string, at::Tensor>(muse::test::untrained_backbone("vit_small", 224, 11));
        muse::test::TestCheckpoint ckpt;
        ckpt.backbone = *weights_;
        good_ = new std::string(muse::test::checkpoint_bytes(ckpt));
    }
    static void TearDownTestSuite() {
        delete good_;
        delete weights_;
        delete dir_;
    }

    static ImportOptions options(const std::string& arch = "vit_small") {
        ImportOptions o;
        o.arch = arch;
        o.img_size = 224;
        return o;
    }

    /// Imports `bytes` and returns the error text; fails the test unless an E is thrown.
    template <class E>
    static std::string import_error(const std::string& bytes, const ImportOptions& opt = options()) {
        const auto path = *dir_ / "bad.pth";
        muse::test::write_file(path, bytes);
        try {
            Model::import_checkpoint(path, opt);
        } catch (const E& e) {
            return e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << "wrong exception type: " << e.what();
            return e.what();
        }
        ADD_FAILURE() << "no error";
        return "";
    }

    static std::string with_backbone(std::map<std::string, at::Tensor> backbone) {
        muse::test::TestCheckpoint ckpt;
        ckpt.backbone = std::move(backbone);
        return muse::test::checkpoint_bytes(ckpt);
    }

    static TempDir* dir_;
    static std::map<std::string, at::Tensor>* weights_;
    static std::string* good_;
};
TempDir* CheckpointBadInput::dir_ = nullptr;
std::map<std::string, at::Tensor>* CheckpointBadInput::weights_ = nullptr;
std::string* CheckpointBadInput::good_ = nullptr;

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

TEST_F(CheckpointBadInput, TruncatedFileIsCorruptAtEveryCut) {
    for (double frac : {0.999, 0.9, 0.5, 0.01}) {
        const std::string msg = import_error<CorruptFile>(good_->substr(0, static_cast<std::size_t>(good_->size() * frac)));
        EXPECT_HAS(msg, "bad.pth");
    }
}

TEST_F(CheckpointBadInput, ZipWithoutDataPklIsNotACheckpoint) {
    const std::string msg =
        import_error<UnsupportedFormat>(muse::test::zip_with_records({{"hello.txt", "hi"}, {"data/0", "xxxx"}}));
    EXPECT_HAS(msg, "is a zip archive but not a PyTorch checkpoint: it has no data.pkl record");
}

TEST_F(CheckpointBadInput, PickleWithAnUnknownOpcodeIsRefused) {
    muse::test::PickleWriter p;
    p.proto(2).empty_dict().mark().str("teacher").op(0xfe).stop();
    const std::string msg = import_error<UnsupportedFormat>(muse::test::zip_with_records({{"data.pkl", p.data()}}));
    EXPECT_HAS(msg, "unsupported pickle opcode 0xfe");
    EXPECT_HAS(msg, "archive/data.pkl");
}

TEST_F(CheckpointBadInput, WrongArchitectureListsMismatchAndSaysWhatItLooksLike) {
    const std::string msg = import_error<ModelMismatch>(*good_, options("r50"));
    EXPECT_HAS(msg, "the checkpoint looks like 'vit_small', not 'r50'");
    EXPECT_HAS(msg, "missing (");
    EXPECT_HAS(msg, "encoder.encoder.conv1.weight [64, 3, 7, 7]");
    EXPECT_HAS(msg, "unexpected (");
}

TEST_F(CheckpointBadInput, WiderViTIsReportedAsMisshapedWithShapes) {
    const std::string msg = import_error<ModelMismatch>(*good_, options("vit_base"));
    EXPECT_HAS(msg, "misshaped");
    EXPECT_HAS(msg, "0 missing, 0 unexpected, 219 misshaped");
    EXPECT_HAS(msg, "decoder.decoder1.first_block.layer.0.weight: got [96, 288, 3, 3], expected [192, 576, 3, 3]");
    EXPECT_HAS(msg, "... and 207 more");
}

TEST_F(CheckpointBadInput, MissingAndMisshapedKeysAreAllListed) {
    auto w = *weights_;
    w.erase("decoder.decoder1.first_block.layer.0.weight");
    w.erase("encoder.encoder.blocks.3.attn.qkv.bias");
    w["encoder.encoder.norm.weight"] = at::ones({383});
    w["decoder.extra.weight"] = at::ones({2});
    const std::string msg = import_error<ModelMismatch>(with_backbone(w));
    EXPECT_HAS(msg, "2 missing, 1 unexpected, 1 misshaped");
    EXPECT_HAS(msg, "decoder.decoder1.first_block.layer.0.weight [96, 288, 3, 3]");
    EXPECT_HAS(msg, "encoder.encoder.blocks.3.attn.qkv.bias [1152]");
    EXPECT_HAS(msg, "decoder.extra.weight [2]");
    EXPECT_HAS(msg, "encoder.encoder.norm.weight: got [383], expected [384]");
}

TEST_F(CheckpointBadInput, NonSquarePositionGridIsAMismatch) {
    auto w = *weights_;
    w["encoder.encoder.pos_embed"] = at::zeros({1, 1 + 14 * 13, 384});
    EXPECT_HAS(import_error<ModelMismatch>(with_backbone(w)), "not a square grid");
}

TEST_F(CheckpointBadInput, CheckpointWithoutTeacherIsNamedAsSuch) {
    muse::test::PickleWriter p;
    p.proto(2).empty_dict().mark().str("model").empty_dict().str("epoch").integer(3).setitems().stop();
    const std::string msg = import_error<UnsupportedFormat>(muse::test::zip_with_records({{"data.pkl", p.data()}}));
    EXPECT_HAS(msg, "has no 'teacher' entry (top-level keys: 'model', 'epoch')");
}

TEST_F(CheckpointBadInput, MissingStorageRecordIsCorrupt) {
    muse::test::PickleWriter p;
    p.proto(2).empty_dict().str("teacher").empty_dict().str("module.backbone.x");
    p.tensor("FloatStorage", "7", 4, 0, {4}, {1}).setitem().setitem().stop();
    const std::string msg = import_error<CorruptFile>(muse::test::zip_with_records({{"data.pkl", p.data()}}));
    EXPECT_HAS(msg, "tensor 'module.backbone.x'");
    EXPECT_HAS(msg, "storage record 'archive/data/7' is missing");
}

TEST_F(CheckpointBadInput, ViewPastItsStorageIsCorrupt) {
    muse::test::PickleWriter p;
    p.proto(2).empty_dict().str("teacher").empty_dict().str("module.backbone.x");
    p.tensor("FloatStorage", "0", 4, 2, {4}, {1}).setitem().setitem().stop();
    const std::string msg = import_error<CorruptFile>(
        muse::test::zip_with_records({{"data.pkl", p.data()}, {"data/0", std::string(16, '\0')}}));
    EXPECT_HAS(msg, "view reaches element 5 of a storage of 4");
}

TEST_F(CheckpointBadInput, ForeignFilesAreNotCheckpoints) {
    EXPECT_HAS(import_error<UnsupportedFormat>("\x89PNG\r\n\x1a\n not a checkpoint"), "is not a PyTorch checkpoint");
    EXPECT_HAS(import_error<UnsupportedFormat>(""), "is not a PyTorch checkpoint");
    EXPECT_HAS(import_error<UnsupportedFormat>(std::string("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15)),
               "legacy torch.save format");
}

TEST_F(CheckpointBadInput, MissingFileIsAnIoError) {
    try {
        Model::import_checkpoint(*dir_ / "does-not-exist.pth", options());
        FAIL();
    } catch (const IoError& e) {
        EXPECT_HAS(std::string(e.what()), "does-not-exist.pth");
        EXPECT_HAS(std::string(e.what()), "No such file");
    }
}

TEST_F(CheckpointBadInput, MissingImageSizeIsAnInvalidArgument) {
    ImportOptions o = options();
    o.img_size = 0;
    EXPECT_HAS(import_error<InvalidArgument>(*good_, o), "the model image size is required");
    o.img_size = 100;
    EXPECT_HAS(import_error<InvalidArgument>(*good_, o), "multiple of 32");
    o.img_size = 224;
    o.arch = "vit_huge";
    EXPECT_HAS(import_error<InvalidArgument>(*good_, o), "unknown architecture 'vit_huge' (known: vit_small, vit_base, r50, r50_w16)");
}

}  // namespace
}  // namespace muse
