// LFoV fine-tuning: where samples lie around annotated regions, what the loss does inside and
// outside them, the lambda_cons ramp, resuming after an interruption, and a CI-sized fine-tune
// that adapts a detector to held-out labels it got wrong before.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <array>
#include <map>

#include "detect/tile_plan.hpp"
#include "model/model_file.hpp"
#include "model/network.hpp"
#include "muse/errors.hpp"
#include "muse/eval.hpp"
#include "muse/finetune.hpp"
#include "muse/geojson.hpp"
#include "muse/precision.hpp"
#include "muse/stain.hpp"
#include "slide/sources.hpp"
#include "support/synthetic_nuclei.hpp"
#include "support/test_env.hpp"
#include "train/detection_loss.hpp"
#include "train/lfov_sampler.hpp"

namespace muse {
namespace {

using train::place_window;

TEST(LfovGeometry, TheRegionAlwaysLiesInsideAndItsOffsetIsUniform) {
    std::mt19937_64 rng(7);
    const int side = 512;
    const double r0 = 1000.0, r1 = 1128.0;  // a 128 px region far from the slide's edges
    std::array<int, 4> bins{};
    const int draws = 40000;
    for (int i = 0; i < draws; ++i) {
        const std::int64_t o = place_window(r0, r1, side, 100000, rng);
        const std::int64_t offset = 1000 - o;  // the region's offset inside the sample
        ASSERT_GE(offset, 0);
        ASSERT_LE(offset, side - 128);
        ++bins[static_cast<std::size_t>(std::min<std::int64_t>(3, offset * 4 / (side - 128 + 1)))];
    }
    for (int b : bins) EXPECT_NEAR(b / static_cast<double>(draws), 0.25, 0.015) << "offsets are not uniform";
    // Every offset 0..384 occurs, the extremes included.
    std::map<std::int64_t, int> seen;
    for (int i = 0; i < 20000; ++i) ++seen[1000 - place_window(r0, r1, side, 100000, rng)];
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(side - 128 + 1));
}

TEST(LfovGeometry, WindowsAreClippedAtTheSlideEdges) {
    std::mt19937_64 rng(3);
    for (int i = 0; i < 2000; ++i) {
        // Near the left edge: the window stays inside the slide and still holds the region.
        const std::int64_t left = place_window(10, 138, 512, 5000, rng);
        EXPECT_GE(left, 0);
        EXPECT_LE(left, 10);
        // Near the right edge.
        const std::int64_t right = place_window(4900, 4990, 512, 5000, rng);
        EXPECT_LE(right + 512, 5000);
        EXPECT_LE(right, 4900);
        EXPECT_GE(right + 512, 4990);
        // A slide shorter than the window: the window covers all of it.
        const std::int64_t small = place_window(50, 150, 512, 300, rng);
        EXPECT_LE(small, 0);
        EXPECT_GE(small + 512, 300);
        // A region larger than the window: the window lies inside the region.
        const std::int64_t inside = place_window(100, 1100, 512, 5000, rng);
        EXPECT_GE(inside, 100);
        EXPECT_LE(inside + 512, 1100);
    }
}

TEST(LfovGeometry, SamplesCarryTheRegionsNucleiAndProposalMask) {
    const LabelledImage img = test::synthetic_nuclei_image(400, 300, 30, 5);
    const auto slide = slide::image_source(img.image, 0.5, "synthetic.png");
    const detect::TilePlan plan = detect::reading_plan(*slide, 0.5, 0.5, 32);
    AnnotatedRegion region;
    region.area.outer = {{100, 80}, {228, 80}, {228, 208}, {100, 208}};
    for (const auto& n : img.nuclei) {
        if (region.area.contains(n.x, n.y)) region.nuclei.push_back(n);
    }
    ASSERT_GT(region.nuclei.size(), 2u);
    train::LfovOptions o;
    o.sample_px = 256;
    std::mt19937_64 rng(11);
    for (int i = 0; i < 20; ++i) {
        const train::LfovSample s = train::make_lfov_sample(*slide, plan, region, o, rng, i % 2 == 0);
        ASSERT_EQ(s.side, 256);
        ASSERT_EQ(s.rgb.sizes(), (at::IntArrayRef{256, 256, 3}));
        ASSERT_EQ(s.in_region.numel(), 32 * 32);
        EXPECT_EQ(s.in_region.sum().item<std::int64_t>(), 16 * 16) << "a 128 px square holds 16 x 16 proposals";
        EXPECT_EQ(s.nuclei.size(), region.nuclei.size());
        // Every nucleus lies within a stride of one of the region's proposals, and far from the
        // others, whatever the flips and turns (the map turns with the pixels).
        const at::Tensor grid = s.in_region.reshape({32, 32});
        for (const auto& n : s.nuclei) {
            bool near = false;
            for (int r = 0; r < 32; ++r) {
                for (int c = 0; c < 32; ++c) {
                    if (grid[r][c].item<bool>() && std::abs(c * 8 + 4 - n.x) <= 8 && std::abs(r * 8 + 4 - n.y) <= 8) near = true;
                }
            }
            EXPECT_TRUE(near) << "nucleus at " << n.x << ", " << n.y;
        }
    }
    // Without LFoV the sample is the region's own square.
    o.lfov = false;
    EXPECT_EQ(train::make_lfov_sample(*slide, plan, region, o, rng).side, 128);
}

TEST(FinetuneLoss, NoRegressionOrTypeLossOutsideTheRegionAndOnlyConfidentPseudoLabels) {
    // Four proposals: 0 and 1 inside the region, 2 confident (0.95) and 3 unsure (0.85) outside.
    at::Tensor points = at::tensor({10.f, 10.f, 30.f, 30.f, 60.f, 60.f, 90.f, 90.f}).reshape({1, 4, 2}).set_requires_grad(true);
    const float hi = std::log(0.95f / 0.025f), mid = std::log(0.85f / 0.075f);
    at::Tensor logits = at::tensor({2.f, 0.f, 0.f, 0.f, 2.f, 0.f, hi, 0.f, 0.f, 0.f, mid, 0.f}).reshape({1, 4, 3}).set_requires_grad(true);
    const at::Tensor in_region = at::tensor({1, 1, 0, 0}, at::kInt).to(at::kBool).reshape({1, 4});
    train::LossWeights w;
    w.cons = 0.1;
    w.cons_threshold = 0.9;
    const train::DetectionLoss loss = train::detection_loss(points, logits, {{{11, 12, 0}}}, w, in_region);
    EXPECT_EQ(loss.matched, 1);
    EXPECT_EQ(loss.pseudo_labels, 1) << "only the proposal at 0.95 reaches the 0.9 threshold";
    EXPECT_GT(loss.cons.item<double>(), 0.0);
    loss.total.backward();
    const at::Tensor gp = points.grad()[0], gl = logits.grad()[0];
    EXPECT_GT(gp[0].abs().sum().item<double>(), 0.0) << "the matched proposal regresses";
    for (int j = 1; j < 4; ++j) EXPECT_EQ(gp[j].abs().sum().item<double>(), 0.0) << "no regression at proposal " << j;
    EXPECT_GT(gl[1].abs().sum().item<double>(), 0.0) << "unmatched inside: background";
    EXPECT_GT(gl[2].abs().sum().item<double>(), 0.0) << "confident outside: pseudo-label";
    EXPECT_EQ(gl[3].abs().sum().item<double>(), 0.0) << "unsure outside: ignored";

    // Without L_cons nothing outside the region takes part.
    w.cons = 0.0;
    points.mutable_grad().zero_();
    logits.mutable_grad().zero_();
    train::detection_loss(points, logits, {{{11, 12, 0}}}, w, in_region).total.backward();
    EXPECT_EQ(logits.grad()[0].narrow(0, 2, 2).abs().sum().item<double>(), 0.0);
}

TEST(FinetuneLoss, LambdaConsRampsFromZeroToItsMaximum) {
    EXPECT_DOUBLE_EQ(cons_ramp(0, 11, 0.1), 0.0);
    EXPECT_NEAR(cons_ramp(5, 11, 0.1), 0.05, 1e-12);
    EXPECT_NEAR(cons_ramp(10, 11, 0.1), 0.1, 1e-12);
    for (int e = 1; e < 11; ++e) EXPECT_GT(cons_ramp(e, 11, 0.1), cons_ramp(e - 1, 11, 0.1));
}

// The synthetic classes swapped: a lab whose "class 0" is the model's class 1. The base model
// gets these labels wrong; fine-tuning on a few annotated squares must fix that.
LabelledImage swapped(LabelledImage img) {
    for (auto& n : img.nuclei) n.class_index = 1 - n.class_index;
    return img;
}

/// One annotated square of half the image's side in each image, the rest unlabelled.
std::vector<FinetuneSlide> annotated_squares(const std::vector<LabelledImage>& images) {
    std::vector<FinetuneSlide> out;
    for (const auto& img : images) {
        FinetuneSlide s;
        s.slide = slide::image_source(img.image, img.mpp, img.name + ".png");
        AnnotatedRegion r;
        const double x0 = img.image.width / 4.0, y0 = img.image.height / 4.0;
        const double x1 = x0 + img.image.width / 2.0, y1 = y0 + img.image.height / 2.0;
        r.area.outer = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}};
        for (const auto& n : img.nuclei) {
            if (r.area.contains(n.x, n.y)) r.nuclei.push_back(n);
        }
        s.regions.push_back(r);
        out.push_back(s);
    }
    return out;
}

std::vector<LabelledImage> swapped_set(int n, std::uint64_t seed) {
    std::vector<LabelledImage> v;
    for (int i = 0; i < n; ++i) v.push_back(swapped(test::synthetic_nuclei_image(192, 192, 30, seed + i)));
    return v;
}

/// Heads mode long and fast enough to learn swapped_set's labels from its annotated squares.
FinetuneOptions heads_mode_for_swapped_labels() {
    FinetuneOptions o;
    o.mode = FinetuneMode::Heads;
    o.epochs = 40;
    o.batch = 2;
    o.sample_px = 192;
    o.lr = 3e-3;
    o.lr_min = 3e-4;
    return o;
}

TEST(Finetune, HeadsModeAdaptsTheModelToHeldOutLabels) {
    const Model base = test::synthetic_detector();
    const auto train = swapped_set(6, 7000), held_out = swapped_set(3, 7100);
    const FinetuneOptions o = heads_mode_for_swapped_labels();
    const EvalReport before = evaluate_model(base, held_out, {});
    const FinetuneResult r = finetune(base, base.config().classes, annotated_squares(train), o);
    const EvalReport after = evaluate_model(r.model, held_out, {});
    std::cout << "[ finetune ] held-out mean F1 " << before.mean_f1 << " -> " << after.mean_f1 << ", features cached in "
              << r.cache_seconds << " s, " << r.history.back().seconds << " s per epoch\n";
    EXPECT_LT(before.mean_f1, 0.3) << "the swapped labels should defeat the base model";
    EXPECT_GT(after.mean_f1, before.mean_f1 + 0.4) << eval_report_table(after);
    EXPECT_EQ(r.history.size(), 40u);
    EXPECT_LT(r.history.back().loss_type, r.history.front().loss_type);
    EXPECT_NE(r.model.config().provenance_json.find("muse finetune"), std::string::npos);
}

// FinetuneOptions::precision: bfloat16 fine-tuning (the stain fit, the cached features and the
// heads' products) learns what float32 fine-tuning learns, on CPUs with native bfloat16; elsewhere
// it is refused before any work.
TEST(Finetune, Bf16LearnsTheHeldOutLabelsAsFloat32DoesOrIsRefused) {
    const Model base = test::synthetic_detector();
    const auto train = swapped_set(6, 7000), held_out = swapped_set(3, 7100);
    EXPECT_EQ(FinetuneOptions().precision, Precision::Auto) << "bfloat16 where the CPU has it (docs/performance.md)";
    FinetuneOptions o = heads_mode_for_swapped_labels();
    o.stain_fit_epochs = 3;
    o.precision = Precision::Bf16;
    if (native_bf16_isa().empty()) {
        try {
            finetune(base, base.config().classes, annotated_squares(train), o);
            FAIL() << "bf16 fine-tuning without native bfloat16 must be refused";
        } catch (const InvalidArgument& e) {
            EXPECT_NE(std::string(e.what()).find("native bfloat16"), std::string::npos) << e.what();
        }
        return;
    }
    const FinetuneResult b16 = finetune(base, base.config().classes, annotated_squares(train), o);
    o.precision = Precision::Fp32;
    const FinetuneResult f32 = finetune(base, base.config().classes, annotated_squares(train), o);
    const EvalReport before = evaluate_model(base, held_out, {});
    const double f1_b16 = evaluate_model(b16.model, held_out, {}).mean_f1, f1_f32 = evaluate_model(f32.model, held_out, {}).mean_f1;
    std::cout << "[ finetune ] held-out mean F1 " << before.mean_f1 << " -> fp32 " << f1_f32 << ", bf16 " << f1_b16
              << "; stain fit loss fp32 " << f32.stain_fit_loss_last << ", bf16 " << b16.stain_fit_loss_last << "\n";
    EXPECT_GT(f1_b16, before.mean_f1 + 0.4);
    EXPECT_NEAR(f1_b16, f1_f32, 0.05);
    EXPECT_NEAR(b16.stain_fit_loss_last, f32.stain_fit_loss_last, 0.1 * f32.stain_fit_loss_last);
    EXPECT_NEAR(b16.history.back().loss, f32.history.back().loss, 0.2 * f32.history.back().loss);
    EXPECT_EQ(nlohmann::json::parse(b16.model.config().provenance_json)["finetune"]["options"]["precision"], "bf16");
    EXPECT_FALSE(nlohmann::json::parse(f32.model.config().provenance_json)["finetune"]["options"].contains("precision"));
}

TEST(Finetune, AResumedRunEndsWithTheSameWeightsAsAnUninterruptedOne) {
    const Model base = test::synthetic_detector();
    const auto slides = annotated_squares(swapped_set(3, 7200));
    test::TempDir dir;
    FinetuneOptions o;
    o.mode = FinetuneMode::Decoder;
    o.epochs = 3;
    o.batch = 2;
    o.sample_px = 128;
    o.lr = 1e-3;
    o.stain_fit_epochs = 2;  // done before the first epoch: kept in the checkpoint, not redone
    o.checkpoint = dir / "whole.ckpt";
    const FinetuneResult whole = finetune(base, base.config().classes, slides, o);

    o.checkpoint = dir / "interrupted.ckpt";
    Progress progress;
    EXPECT_THROW(finetune(base, base.config().classes, slides, o, progress,
                          [&](const FinetuneEpoch& e) {
                              if (e.epoch == 1) progress.cancel();
                          }),
                 Cancelled);
    ASSERT_TRUE(std::filesystem::exists(o.checkpoint)) << "the finished epoch is kept";
    o.resume = true;
    std::vector<std::string> steps;
    const FinetuneResult resumed = finetune(base, base.config().classes, slides, o,
                                            Progress([&](const ProgressUpdate& u) { steps.push_back(u.message); }));
    EXPECT_EQ(resumed.resumed_after_epoch, 1);
    ASSERT_EQ(resumed.history.size(), 3u);
    const auto a = whole.model.state_dict(), b = resumed.model.state_dict();
    ASSERT_EQ(a.size(), b.size());
    for (const auto& [name, t] : a) EXPECT_TRUE(at::equal(t, b.at(name))) << name;
    EXPECT_EQ(resumed.model.config().od_transform, whole.model.config().od_transform);
    ASSERT_EQ(resumed.model.config().od_transform.size(), 12u);
    EXPECT_EQ(resumed.stain_fit_loss_first, whole.stain_fit_loss_first) << "reported as the first run did it";
    EXPECT_EQ(resumed.adapt_weight, whole.adapt_weight);
    EXPECT_EQ(nlohmann::json::parse(resumed.model.config().provenance_json)["base_model"],
              nlohmann::json::parse(whole.model.config().provenance_json)["base_model"]);
    for (const auto& step : steps) {  // the fit, the adaptation and its choice
        EXPECT_TRUE(step.find("stain") == std::string::npos && step.find("adapting") == std::string::npos)
            << "redone on resuming: " << step;
    }

    // Other options cannot resume that checkpoint.
    o.lr = 5e-4;
    EXPECT_THROW(finetune(base, base.config().classes, slides, o), InvalidArgument);
}

// FinetuneOptions::backbone_lr_scale: one full-mode step of Adam moves a weight by about the
// learning rate of its group (its first step is lr x g / |g|), so the largest move in the
// backbone shows the backbone's rate and the largest elsewhere the decoder's and heads'.
TEST(Finetune, TheBackboneLearnsAtItsShareOfTheLearningRate) {
    const Model base = test::synthetic_detector();
    const auto slides = annotated_squares(swapped_set(2, 7250));
    const auto before = base.state_dict();
    auto largest_moves = [&](double scale) {
        FinetuneOptions o;
        o.mode = FinetuneMode::Full;
        o.epochs = 1;
        o.batch = 2;  // both regions in one step
        o.sample_px = 128;
        o.lr = o.lr_min = 1e-3;
        o.backbone_lr_scale = scale;
        o.adapt_weight = 0.0;
        const auto after = finetune(base, base.config().classes, slides, o).model.state_dict();
        std::pair<double, double> moves{0.0, 0.0};  // backbone, the rest
        for (const auto& [name, t] : before) {
            if (name.find("running_") != std::string::npos || name.find("num_batches") != std::string::npos) continue;
            const double d = (after.at(name) - t).abs().max().item<double>();
            double& m = model::in_backbone(name) ? moves.first : moves.second;
            m = std::max(m, d);
        }
        return moves;
    };
    const auto [backbone_tenth, rest_tenth] = largest_moves(0.1);
    EXPECT_GT(backbone_tenth, 0.05e-3) << "the backbone still learns";
    EXPECT_LT(backbone_tenth, 0.11e-3) << "at a tenth of the rate";
    EXPECT_GT(rest_tenth, 0.5e-3) << "the decoder and heads at the full rate";
    const auto [backbone_all, rest_all] = largest_moves(1.0);
    EXPECT_GT(backbone_all, 0.5e-3) << "scale 1: one rate for all";
    EXPECT_GT(rest_all, 0.5e-3);

    FinetuneOptions bad;
    bad.backbone_lr_scale = 0.0;
    EXPECT_THROW(bad.validate(), InvalidArgument);
    bad.backbone_lr_scale = 1.5;
    EXPECT_THROW(bad.validate(), InvalidArgument);
}

// The label-free first step at a given weight (FinetuneOptions::adapt_weight): in heads mode
// the backbone's BatchNorm statistics of the result are exactly those adapt_batchnorm gives for
// the slides; at weight 0, and on slides with too little tissue, they stay the base model's.
TEST(Finetune, AdaptsTheBatchNormStatisticsToTheSlidesFirstAtTheGivenWeight) {
    const Model base = test::synthetic_detector();
    StainChange weak;  // another lab's stain: the statistics have somewhere to move
    weak.h_scale = 0.6;
    weak.e_scale = 1.6;
    std::vector<LabelledImage> images;
    for (int i = 0; i < 3; ++i) {
        LabelledImage img = swapped(test::synthetic_nuclei_image(512, 512, 120, 7400 + i));
        change_stains(img.image.pixels.data(), img.image.pixels.size() / 3, weak);
        images.push_back(std::move(img));
    }
    const auto slides = annotated_squares(images);
    FinetuneOptions o;
    o.adapt_weight = 0.5;
    o.mode = FinetuneMode::Heads;
    o.epochs = 1;
    o.sample_px = 192;
    o.adapt_tissue_mask = false;
    o.stain_fit_epochs = 0;  // the adaptation alone, compared with adapt_batchnorm on the base model's pixels
    const FinetuneResult r = finetune(base, base.config().classes, slides, o);
    EXPECT_GE(r.adapted_tiles, 8);
    EXPECT_GT(r.adapted_layers, 10);

    AdaptOptions ao;
    ao.weight = 0.5;
    ao.tissue_mask = false;
    std::vector<AdaptSlide> adapt_slides;
    for (const auto& s : slides) adapt_slides.push_back({s.slide, s.mpp});
    const AdaptResult direct = adapt_batchnorm(base, adapt_slides, ao);
    EXPECT_EQ(direct.tiles, r.adapted_tiles);
    const auto before = base.state_dict(), after = r.model.state_dict(), expected = direct.model.state_dict();
    int moved = 0, statistics = 0;
    for (const auto& [name, t] : before) {
        if (name.rfind("encoder.", 0) != 0 || name.find("running_") == std::string::npos) continue;
        ++statistics;
        EXPECT_TRUE(at::allclose(after.at(name), expected.at(name), 1e-5, 1e-6)) << name;
        if (!at::allclose(after.at(name), t)) ++moved;
    }
    EXPECT_GT(statistics, 10);
    EXPECT_GT(moved, statistics / 2) << "the shifted slides must move the statistics";
    const auto provenance = nlohmann::json::parse(r.model.config().provenance_json);
    EXPECT_TRUE(provenance["base_model"].contains("batchnorm_adaptation")) << provenance.dump();
    EXPECT_EQ(provenance["finetune"]["options"]["adapt_weight"], 0.5);

    o.adapt_weight = 0.0;  // off: the base model's statistics
    const FinetuneResult off = finetune(base, base.config().classes, slides, o);
    EXPECT_EQ(off.adapted_tiles, 0);
    for (const auto& [name, t] : before) {
        if (name.find("running_") != std::string::npos) EXPECT_TRUE(at::equal(off.model.state_dict().at(name), t)) << name;
    }

    o.adapt_weight = 0.5;  // one small image: fewer than 8 tiles, skipped rather than noisy
    const FinetuneResult few = finetune(base, base.config().classes, annotated_squares(swapped_set(1, 7450)), o);
    EXPECT_EQ(few.adapted_tiles, 0);

    o.adapt_weight = 1.5;
    EXPECT_THROW(finetune(base, base.config().classes, slides, o), InvalidArgument);
}

// By default the weight is chosen (FinetuneOptions::kAdaptAuto): each of kAdaptChoices is
// scored on the clicked nuclei before training and the lowest loss wins; the result's
// statistics are that blend. A lab whose stain is far from the training's gets its own
// statistics; a lab like the training data keeps the model's.
TEST(Finetune, ChoosesTheAdaptationWeightThatFitsTheClickedNucleiBest) {
    const Model base = test::synthetic_detector();
    auto lab = [](double h, double e) {
        StainChange change;
        change.h_scale = h;
        change.e_scale = e;
        std::vector<LabelledImage> images;
        for (int i = 0; i < 3; ++i) {
            LabelledImage img = test::synthetic_nuclei_image(512, 512, 120, 7400 + i);
            change_stains(img.image.pixels.data(), img.image.pixels.size() / 3, change);
            images.push_back(std::move(img));
        }
        return annotated_squares(images);
    };
    FinetuneOptions o;
    EXPECT_EQ(o.adapt_weight, FinetuneOptions::kAdaptAuto) << "the default (docs/finetune.md)";
    o.mode = FinetuneMode::Heads;
    o.epochs = 1;
    o.sample_px = 192;
    o.adapt_tissue_mask = false;
    // The choice alone, on the lab's own pixels: the stain fit (on by default) would first undo
    // the stain change that the choice is checked against.
    o.stain_fit_epochs = 0;

    const auto far_slides = lab(0.3, 2.5);
    const FinetuneResult far = finetune(base, base.config().classes, far_slides, o);
    ASSERT_EQ(far.adapt_losses.size(), std::size(kAdaptChoices));
    double best = far.adapt_losses[0].second, best_weight = far.adapt_losses[0].first;
    for (const auto& [w, loss] : far.adapt_losses) {
        if (loss < best) best = loss, best_weight = w;
    }
    EXPECT_EQ(far.adapt_weight, best_weight);
    EXPECT_GT(far.adapt_weight, 0.0) << "a stain this far from the training's needs its own statistics";
    EXPECT_LT(far.adapt_losses.back().second, far.adapt_losses.front().second);

    AdaptOptions ao;
    ao.tissue_mask = false;
    std::vector<AdaptSlide> adapt_slides;
    for (const auto& s : far_slides) adapt_slides.push_back({s.slide, s.mpp});
    const Model expected = blend_batchnorm_statistics(base, adapt_batchnorm(base, adapt_slides, ao), far.adapt_weight);
    const auto got = far.model.state_dict(), want = expected.state_dict();
    for (const auto& [name, t] : want) {
        if (name.rfind("encoder.", 0) == 0 && name.find("running_") != std::string::npos) {
            EXPECT_TRUE(at::allclose(got.at(name), t, 1e-5, 1e-6)) << name;
        }
    }
    const auto provenance = nlohmann::json::parse(far.model.config().provenance_json);
    EXPECT_EQ(provenance["finetune"]["adapt_weight"], far.adapt_weight);
    EXPECT_EQ(provenance["finetune"]["adapt_losses"].size(), std::size(kAdaptChoices));

    const FinetuneResult same = finetune(base, base.config().classes, lab(1.0, 1.0), o);
    EXPECT_EQ(same.adapt_weight, 0.0) << "images like the training data keep the model's statistics";
    EXPECT_EQ(same.adapted_tiles, 0);
    const auto kept = same.model.state_dict(), own = base.state_dict();
    for (const auto& [name, t] : own) {
        if (name.find("running_") != std::string::npos) EXPECT_TRUE(at::equal(kept.at(name), t)) << name;
    }
}

// FinetuneOptions::stain_fit_epochs: twelve numbers on the input's optical density fitted to
// the clicked nuclei with every weight frozen lower the loss under a strong stain change, and
// the new model carries them (ModelConfig::od_transform); on by default, off at 0.
TEST(Finetune, FitsAStainCorrectionThatTheNewModelKeeps) {
    const Model base = test::synthetic_detector();
    StainChange far;
    far.h_scale = 0.3;
    far.e_scale = 2.5;
    far.rgb_gain = {1.0, 0.9, 0.75};
    std::vector<LabelledImage> images;
    for (int i = 0; i < 3; ++i) {
        LabelledImage img = test::synthetic_nuclei_image(256, 256, 60, 7600 + i);
        change_stains(img.image.pixels.data(), img.image.pixels.size() / 3, far);
        images.push_back(std::move(img));
    }
    FinetuneOptions o;
    EXPECT_EQ(o.stain_fit_epochs, 30) << "on by default (docs/finetune.md)";
    EXPECT_EQ(o.stain_fit_batch, 1);
    o.mode = FinetuneMode::Heads;
    o.epochs = 1;
    o.sample_px = 192;
    o.adapt_weight = 0.0;
    o.stain_fit_epochs = 15;
    o.stain_fit_batch = 1;  // a step per image: 45 steps
    const FinetuneResult r = finetune(base, base.config().classes, annotated_squares(images), o);
    EXPECT_LT(r.stain_fit_loss_last, 0.8 * r.stain_fit_loss_first)
        << r.stain_fit_loss_first << " -> " << r.stain_fit_loss_last;
    const std::vector<float>& t = r.model.config().od_transform;
    ASSERT_EQ(t.size(), 12u);
    const std::vector<float> identity = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0};
    float moved = 0;
    for (std::size_t i = 0; i < 12; ++i) moved = std::max(moved, std::abs(t[i] - identity[i]));
    EXPECT_GT(moved, 0.05f);
    const auto provenance = nlohmann::json::parse(r.model.config().provenance_json);
    EXPECT_EQ(provenance["finetune"]["stain_fit"]["od_transform"].size(), 12u);

    o.stain_fit_epochs = 0;
    EXPECT_TRUE(finetune(base, base.config().classes, annotated_squares(images), o).model.config().od_transform.empty());
}

/// What the new-class tests fine-tune: the synthetic detector, its classes and "Mitosis", one
/// image's annotated squares, one heads-mode epoch on 192 px samples.
struct NewClassCase {
    Model base = test::synthetic_detector();
    std::vector<ClassInfo> classes;
    std::vector<FinetuneSlide> slides = annotated_squares(swapped_set(1, 7300));
    FinetuneOptions options;
    NewClassCase() : classes(base.config().classes) {
        classes.push_back({"Mitosis", {255, 0, 255}});
        options.mode = FinetuneMode::Heads;
        options.epochs = 1;
        options.sample_px = 192;
    }
};

TEST(Finetune, NewClassesGrowTheTypeHeadAndKeepTheOldOnes) {
    NewClassCase c;
    const Model& base = c.base;
    FinetuneOptions& o = c.options;
    o.lr = 1e-9;  // the weights barely move: check where they went
    o.lr_min = 0.0;
    const FinetuneResult r = finetune(base, c.classes, c.slides, o);
    ASSERT_EQ(r.model.config().classes.size(), 3u);
    const at::Tensor old_w = base.state_dict().at("head.type.4.weight"), new_w = r.model.state_dict().at("head.type.4.weight");
    ASSERT_EQ(new_w.size(0), 4);
    EXPECT_TRUE(at::allclose(new_w.narrow(0, 0, 2), old_w.narrow(0, 0, 2), 1e-5, 1e-6));
    EXPECT_TRUE(at::allclose(new_w[3], old_w[2], 1e-5, 1e-6)) << "background moves to the end";
}

TEST(Finetune, ANewClassesRowsLearnTenTimesFasterThanTheRest) {
    // They start random while the rest starts trained: at the rest's rate a class the features
    // were not trained to separate was hardly learned (docs/finetune.md). Adam's first step moves
    // every weight with a gradient by about the learning rate, whatever the gradient's size, so
    // one step shows each row's rate.
    NewClassCase c;
    const Model& base = c.base;
    FinetuneOptions& o = c.options;
    o.batch = 64;  // every region in one step
    o.lr = o.lr_min = 1e-4;
    o.cons_weight = 0.0;
    o.stain_fit_epochs = 0;
    const FinetuneResult r = finetune(base, c.classes, c.slides, o);
    ASSERT_EQ(r.history.size(), 1u);
    const at::Tensor before = base.state_dict().at("head.type.4.weight");
    const at::Tensor after = r.model.state_dict().at("head.type.4.weight");
    ASSERT_EQ(after.size(0), 4);
    const double old_move = (after.narrow(0, 0, 2) - before.narrow(0, 0, 2)).abs().max().item<double>();
    // The new row started from the seed's fresh weights: its move is measured against a run
    // whose step is a million times smaller.
    o.lr = o.lr_min = 1e-10;
    const at::Tensor fresh = finetune(base, c.classes, c.slides, o).model.state_dict().at("head.type.4.weight");
    const double new_move = (after[2] - fresh[2]).abs().max().item<double>();
    EXPECT_GT(old_move, 0.5e-4);
    EXPECT_LE(old_move, 1.01e-4);
    EXPECT_GT(new_move, 9.0e-4);
    EXPECT_LE(new_move, 10.1e-4);
}

// The one entry point of the CLI, the viewer and Java: classes carried across slides, the base
// model never overwritten, the model written, the finished run's checkpoint removed.
TEST(FinetuneToFile, GathersSlidesRefusesTheBaseModelWritesTheModelAndDropsTheCheckpoint) {
    const Model base = test::synthetic_detector();
    test::TempDir dir;
    const auto base_file = dir / "base.muse";
    base.save(base_file);

    FinetuneData data(base, true);
    const auto images = swapped_set(2, 7400);
    for (std::size_t i = 0; i < images.size(); ++i) {
        AnnotationSet set = assemble_annotations({{"", Polygon{{{0, 0}, {192, 0}, {192, 192}, {0, 192}}, {}}}},
                                                 {{i == 0 ? "Mitosis" : base.config().classes[0].name, {}, false, {{40, 40}}},
                                                  {"Mitosis", {}, false, {{90, 90}}}, {"Apoptosis", {}, false, {{120, 120}}}},
                                                 data.read_options(), "image " + std::to_string(i));
        data.add(slide::image_source(images[i].image, images[i].mpp, images[i].name + ".png"), 0.0, std::move(set));
    }
    EXPECT_EQ(data.new_classes(), (std::vector<std::string>{"Mitosis", "Apoptosis"})) << "first use order, same index on image 2";
    EXPECT_EQ(data.slides.size(), 2u);
    EXPECT_EQ(data.regions, 2u);
    EXPECT_EQ(data.nuclei, 6);

    FinetuneOptions o;
    o.mode = FinetuneMode::Heads;
    o.epochs = 1;
    o.sample_px = 192;
    o.checkpoint = dir / "run.ckpt";
    EXPECT_THROW(finetune_to_file(base, base_file, data, o, base_file), InvalidArgument);
    EXPECT_THROW(finetune_to_file(base, base_file, data, o, dir / "." / "base.muse"), InvalidArgument) << "another spelling";
    FinetuneOptions clash = o;
    clash.checkpoint = dir / "out.muse";
    EXPECT_THROW(finetune_to_file(base, base_file, data, clash, dir / "out.muse"), InvalidArgument);
    EXPECT_FALSE(std::filesystem::exists(dir / "out.muse"));

    const FinetuneResult r = finetune_to_file(base, base_file, data, o, dir / "out.muse");
    EXPECT_EQ(Model::load(dir / "out.muse").config().classes.size(), 4u);
    EXPECT_FALSE(std::filesystem::exists(o.checkpoint)) << "the finished model supersedes the checkpoint";
    EXPECT_EQ(r.history.size(), 1u);
    EXPECT_EQ(Model::load(base_file).config().classes.size(), 2u) << "the base model is untouched";
}

TEST(PseudoLabels, RingsSurroundTheRegionsAndReadBackAsAnnotations) {
    AnnotatedRegion r;
    r.area.outer = {{100, 100}, {200, 100}, {200, 150}, {100, 150}};
    const std::vector<Polygon> rings = pseudo_label_rings({r}, 40.0);
    ASSERT_EQ(rings.size(), 1u);
    EXPECT_TRUE(rings[0].contains(80, 120)) << "left of the region, within the ring";
    EXPECT_TRUE(rings[0].contains(230, 180)) << "a corner of the ring";
    EXPECT_FALSE(rings[0].contains(150, 120)) << "inside the region";
    EXPECT_FALSE(rings[0].contains(50, 120)) << "beyond the ring";
    EXPECT_THROW(pseudo_label_rings({r}, 0.0), InvalidArgument);

    // Written as QuPath point annotations, pseudo-labels read back as classified points of the
    // region they fall in (how accepted ones are fed back).
    test::TempDir dir;
    DetectionWriterOptions wo;
    wo.classes = test::synthetic_classes();
    wo.object_type = "annotation";
    wo.name = "MUSE pseudo-label";
    auto w = DetectionWriter::create(dir / "pseudo.geojson", wo);
    Detection d;
    d.x = 150;
    d.y = 120;
    d.class_index = 1;
    d.score = 0.95f;
    d.probabilities = {0.03f, 0.95f};
    w->write(d);
    w->commit();
    const std::string text = test::read_file(dir / "pseudo.geojson");
    EXPECT_NE(text.find("\"objectType\":\"annotation\",\"name\":\"MUSE pseudo-label\""), std::string::npos) << text;
    // The region drawn around it, appended to the same FeatureCollection.
    std::string doc = text.substr(0, text.rfind(']'));
    doc += ",{\"type\":\"Feature\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[100,100],[200,100],[200,150],[100,150],[100,100]]]},"
           "\"properties\":{\"objectType\":\"annotation\"}}]}";
    test::write_file(dir / "reviewed.geojson", doc);
    AnnotationReadOptions ro;
    ro.classes = test::synthetic_classes();
    const AnnotationSet set = read_qupath_annotations(dir / "reviewed.geojson", ro);
    ASSERT_EQ(set.regions.size(), 1u);
    ASSERT_EQ(set.regions[0].nuclei.size(), 1u);
    EXPECT_EQ(set.regions[0].nuclei[0].class_index, 1);
    EXPECT_DOUBLE_EQ(set.regions[0].nuclei[0].x, 150.0);
}

TEST(FinetuneBadInput, ClearErrors) {
    const Model base = test::synthetic_detector();
    const auto slides = annotated_squares(swapped_set(1, 7400));
    FinetuneOptions o;
    o.sample_px = 100;
    EXPECT_THROW(finetune(base, base.config().classes, slides, o), InvalidArgument);
    o = FinetuneOptions();
    EXPECT_THROW(finetune(base, base.config().classes, {}, o), InvalidArgument);
    auto renamed = base.config().classes;
    renamed[0].name = "Other";
    EXPECT_THROW(finetune(base, renamed, slides, o), InvalidArgument);
    o.class_balance = 1.5;
    EXPECT_THROW(finetune(base, base.config().classes, slides, o), InvalidArgument);
    o.class_balance = 0.0;
    o.resume = true;
    o.checkpoint = "/nonexistent/x.ckpt";
    EXPECT_THROW(finetune(base, base.config().classes, slides, o), InvalidArgument);
    EXPECT_THROW(parse_finetune_mode("partial"), InvalidArgument);
}

}  // namespace
}  // namespace muse
