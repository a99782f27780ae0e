// Supervised training end to end on a CI-sized synthetic set: the loss falls, F1 on held-out
// images rises from nothing, the same seed gives the same model, and cancellation stops it.
#include <gtest/gtest.h>

#include <filesystem>
#include <utility>

#include <ATen/ATen.h>

#include "muse/errors.hpp"
#include "muse/eval.hpp"
#include "muse/precision.hpp"
#include "muse/train.hpp"
#include "support/synthetic_nuclei.hpp"
#include "support/test_env.hpp"

namespace muse {
namespace {

ModelConfig small_detector() { return test::synthetic_detector_config(); }

std::vector<LabelledImage> synthetic_set(int n, std::uint64_t seed) {
    std::vector<LabelledImage> v;
    for (int i = 0; i < n; ++i) v.push_back(test::synthetic_nuclei_image(128, 128, 14, seed + i));
    return v;
}

TrainOptions quick(int epochs) {
    TrainOptions o;
    o.epochs = epochs;
    o.batch = 4;
    o.tile_px = 96;
    o.lr = 2e-3;
    o.lr_min = 2e-4;
    o.val_every = epochs;
    o.tune_threshold = false;
    return o;
}

TEST(Training, LossFallsAndHeldOutF1Rises) {
    const auto train = synthetic_set(8, 100), val = synthetic_set(3, 900);
    EvalOptions eval;
    const EvalReport before = evaluate_model(Model::create_untrained(small_detector(), 1), val, eval);
    const TrainResult r = train_detector(small_detector(), {}, train, val, quick(30));
    ASSERT_EQ(r.history.size(), 30u);
    const double first = r.history.front().loss, last = r.history.back().loss;
    std::cout << "[ training ] loss " << first << " -> " << last << ", held-out mean F1 " << before.mean_f1 << " -> "
              << r.best_val.mean_f1 << " (" << r.history.back().seconds << " s per epoch)\n";
    EXPECT_LT(last, 0.6 * first);
    EXPECT_LT(before.mean_f1, 0.2);
    EXPECT_GT(r.best_val.mean_f1, 0.7) << eval_report_table(r.best_val);
    // The model that comes back scores what training measured.
    EXPECT_NEAR(evaluate_model(r.model, val, eval).mean_f1, r.best_val.mean_f1, 1e-9);
}

// TrainOptions::precision: bfloat16 training passes (float32 weights, Adam and losses) learn as
// float32's do where the CPU has native bfloat16; elsewhere they are refused before any work.
TEST(Training, Bf16TrainingLearnsAsFloat32DoesOrIsRefused) {
    const auto train = synthetic_set(8, 100), val = synthetic_set(3, 900);
    TrainOptions o = quick(30);
    EXPECT_EQ(o.precision, Precision::Fp32) << "float32 unless asked (docs/performance.md)";
    o.precision = Precision::Bf16;
    if (native_bf16_isa().empty()) {
        EXPECT_THROW(train_detector(small_detector(), {}, train, val, o), InvalidArgument);
        return;
    }
    const TrainResult b16 = train_detector(small_detector(), {}, train, val, o);
    const TrainResult f32 = train_detector(small_detector(), {}, train, val, quick(30));
    std::cout << "[ training ] bf16: loss " << b16.history.front().loss << " -> " << b16.history.back().loss << ", held-out F1 "
              << b16.best_val.mean_f1 << " (fp32: " << f32.history.back().loss << ", " << f32.best_val.mean_f1 << "); "
              << b16.history.back().seconds << " s per epoch against " << f32.history.back().seconds << "\n";
    EXPECT_LT(b16.history.back().loss, 0.6 * b16.history.front().loss);
    EXPECT_GT(b16.best_val.mean_f1, 0.7) << eval_report_table(b16.best_val);
    EXPECT_NEAR(b16.best_val.mean_f1, f32.best_val.mean_f1, 0.1);
    EXPECT_NE(b16.model.config().provenance_json.find("\"precision\":\"bf16\""), std::string::npos);
}

TEST(Training, SameSeedSameModel) {
    const auto train = synthetic_set(4, 200);
    const TrainResult a = train_detector(small_detector(), {}, train, {}, quick(2));
    const TrainResult b = train_detector(small_detector(), {}, train, {}, quick(2));
    const auto wa = a.model.state_dict(), wb = b.model.state_dict();
    ASSERT_EQ(wa.size(), wb.size());
    for (const auto& [name, t] : wa) EXPECT_TRUE(at::equal(t, wb.at(name))) << name;
}

TEST(Training, CancellationStopsAndCheckpointsAreWholeFiles) {
    test::TempDir dir;
    TrainOptions o = quick(50);
    o.val_every = 1;
    o.checkpoint_dir = dir.path();
    int epochs_seen = 0;
    Progress progress;
    const auto train = synthetic_set(4, 300), val = synthetic_set(1, 301);
    EXPECT_THROW(train_detector(small_detector(), {}, train, val, o, progress,
                                [&](const EpochReport&) {
                                    if (++epochs_seen == 2) progress.cancel();
                                }),
                 Cancelled);
    EXPECT_EQ(epochs_seen, 2);
    // The checkpoints written so far load as complete model files; nothing else is left.
    EXPECT_NO_THROW(Model::load(dir / "last.muse"));
    EXPECT_NO_THROW(Model::load(dir / "best.muse"));
    std::size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) files += e.is_regular_file();
    EXPECT_EQ(files, 2u);
}

/// Trains `o` to its end, once straight and once stopped two steps into epoch 4 (the last state
/// saved after epoch 3) and resumed; both results.
std::pair<TrainResult, TrainResult> straight_and_resumed(TrainOptions o, const std::vector<LabelledImage>& train,
                                                         const std::vector<LabelledImage>& val,
                                                         const std::filesystem::path& checkpoint) {
    const TrainResult straight = train_detector(small_detector(), {}, train, val, o);  // no checkpoint: no side effects
    o.checkpoint = checkpoint;
    int steps = 0;
    Progress* stopper = nullptr;
    Progress progress([&](const ProgressUpdate&) {
        if (++steps == 3 * 3 + 2) stopper->cancel();  // 3 steps an epoch: two steps into epoch 4
    });
    stopper = &progress;
    EXPECT_THROW(train_detector(small_detector(), {}, train, val, o, progress), Cancelled);
    EXPECT_TRUE(std::filesystem::exists(o.checkpoint)) << "the state after epoch 3 is kept";
    o.resume = true;
    return {straight, train_detector(small_detector(), {}, train, val, o)};
}

void expect_same_run(const TrainResult& a, const TrainResult& b) {
    EXPECT_EQ(a.best_epoch, b.best_epoch);
    ASSERT_EQ(a.history.size(), b.history.size());
    for (std::size_t i = 0; i < a.history.size(); ++i) {
        EXPECT_EQ(a.history[i].epoch, b.history[i].epoch);
        EXPECT_DOUBLE_EQ(a.history[i].loss, b.history[i].loss) << "epoch " << i + 1;
        EXPECT_DOUBLE_EQ(a.history[i].lr, b.history[i].lr) << "epoch " << i + 1;
        EXPECT_EQ(a.history[i].validated, b.history[i].validated);
        EXPECT_EQ(a.history[i].best, b.history[i].best);
        EXPECT_DOUBLE_EQ(a.history[i].val_mean_f1, b.history[i].val_mean_f1) << "epoch " << i + 1;
    }
    const auto wa = a.model.state_dict(), wb = b.model.state_dict();
    ASSERT_EQ(wa.size(), wb.size());
    for (const auto& [name, t] : wa) EXPECT_TRUE(at::equal(t, wb.at(name))) << name;
}

TEST(Training, AResumedRunEndsWithTheSameModelAsAnUninterruptedOne) {
    // Saved every 3 epochs (and after validations): stopped in epoch 4, resumed from epoch 3.
    // Without validation images the result is the moving average after epoch 5, so the weights,
    // BatchNorm statistics, average, Adam, random stream and image order after the resume all
    // count; with them, the best validated epoch and the history across the resume too.
    const auto train = synthetic_set(5, 500), val = synthetic_set(1, 520);
    TrainOptions o = quick(5);
    o.batch = 2;  // 3 steps an epoch
    o.val_every = 2;
    o.ema_decay = 0.9;
    o.stain_jitter = 0.2;
    o.checkpoint_every = 3;
    test::TempDir dir;
    {
        SCOPED_TRACE("no validation: the last epoch's average");
        const auto [straight, resumed] = straight_and_resumed(o, train, {}, dir / "plain.ckpt");
        EXPECT_EQ(straight.best_epoch, 5);
        expect_same_run(straight, resumed);
    }
    {
        SCOPED_TRACE("validated every 2 epochs");
        const auto [straight, resumed] = straight_and_resumed(o, train, val, dir / "validated.ckpt");
        expect_same_run(straight, resumed);
    }

    // Another recipe or other images cannot continue a run; nor can a missing or foreign file.
    o.checkpoint = dir / "stopped.ckpt";
    o.checkpoint_every = 1;
    EXPECT_THROW(train_detector(small_detector(), {}, train, val, o, Progress(), [&](const EpochReport&) { throw Cancelled(); }),
                 Cancelled);
    ASSERT_TRUE(std::filesystem::exists(o.checkpoint));
    o.resume = true;
    TrainOptions other = o;
    other.lr = 1e-3;
    try {
        train_detector(small_detector(), {}, train, val, other);
        FAIL() << "another learning rate must not continue the run";
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("options (lr 0.002 -> 0.001)"), std::string::npos) << e.what();
    }
    EXPECT_THROW(train_detector(small_detector(), {}, synthetic_set(5, 600), val, o), InvalidArgument);
    ModelConfig wider = small_detector();
    wider.detection.proposal_stride_px *= 2;
    EXPECT_THROW(train_detector(wider, {}, train, val, o), InvalidArgument);
    other = o;
    other.checkpoint = dir / "none.ckpt";
    EXPECT_THROW(train_detector(small_detector(), {}, train, val, other), InvalidArgument);
    train_detector(small_detector(), {}, train, val, quick(1)).model.save(dir / "model.muse");
    other.checkpoint = dir / "model.muse";
    EXPECT_THROW(train_detector(small_detector(), {}, train, val, other), InvalidArgument);
}

TEST(TrainingBadInput, ClassesAndOptionsAreChecked) {
    auto train = synthetic_set(1, 400);
    ModelConfig no_classes = small_detector();
    no_classes.classes.clear();
    EXPECT_THROW(train_detector(no_classes, {}, train, {}, quick(1)), InvalidArgument);
    train[0].nuclei[0].class_index = 5;
    try {
        train_detector(small_detector(), {}, train, {}, quick(1));
        FAIL() << "expected an error";
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("has class 5 but the model has 2 classes"), std::string::npos) << e.what();
    }
    TrainOptions bad = quick(1);
    bad.tile_px = 100;
    EXPECT_THROW(train_detector(small_detector(), {}, synthetic_set(1, 401), {}, bad), InvalidArgument);
    bad = quick(1);
    bad.distractor_probability = 1.5;
    EXPECT_THROW(train_detector(small_detector(), {}, synthetic_set(1, 401), {}, bad), InvalidArgument);
    bad = quick(1);
    bad.resume = true;  // without a checkpoint file
    EXPECT_THROW(train_detector(small_detector(), {}, synthetic_set(1, 401), {}, bad), InvalidArgument);
}

}  // namespace
}  // namespace muse
