// `muse train`, `muse eval` and `muse detect` end to end on a small synthetic dataset.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <ATen/ATen.h>

#include "muse/model.hpp"
#include "muse/precision.hpp"
#include "support/cli_refusal.hpp"
#include "support/synthetic_nuclei.hpp"
#include "support/test_env.hpp"

namespace muse {
namespace {

using test::shell_quote;
using test::TempDir;


#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

void write_png(const RgbImage& img, const std::filesystem::path& path) {
    cv::Mat rgb(img.height, img.width, CV_8UC3, const_cast<std::uint8_t*>(img.pixels.data())), bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    cv::imwrite(path.string(), bgr);
}

/// A dataset in the BRCA-M2C layout made of synthetic images (labels 1 and 2).
void make_dataset(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir / "images");
    std::filesystem::create_directories(dir / "labels");
    std::ofstream train(dir / "train.txt"), val(dir / "val.txt");
    for (int i = 0; i < 6; ++i) {
        const LabelledImage img = test::synthetic_nuclei_image(128, 128, 12, 500 + i);
        const std::string name = "img" + std::to_string(i);
        write_png(img.image, dir / "images" / (name + ".png"));
        std::ofstream labels(dir / "labels" / (name + "_gt_class_coords.txt"));
        for (const auto& n : img.nuclei) labels << n.y << " " << n.x << " " << n.class_index + 1 << "\n";
        (i < 5 ? train : val) << name << ".png\n";
    }
}

class CliDetection : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir();
        make_dataset(*dir_ / "data");
    }
    static void TearDownTestSuite() { delete dir_; }
    static TempDir* dir_;
};
TempDir* CliDetection::dir_ = nullptr;

TEST_F(CliDetection, TrainEvalDetect) {
    TempDir work;
    std::string out;
    const std::string data = shell_quote((*dir_ / "data").string());
    ASSERT_EQ(test::run_muse("train --dataset " + data + " --train-split train.txt --val-split val.txt --epochs 2 --batch 2 "
                       "--tile-px 96 --head-hidden 32 --val-every 1 --checkpoint-dir " + shell_quote((work / "ck").string()) +
                       " --report " + shell_quote((work / "report.json").string()) + " -o " + shell_quote((work / "m.muse").string()),
                   &out),
              0)
        << out;
    EXPECT_HAS(out, "epoch   2/2");
    EXPECT_HAS(out, "val mean F1");
    EXPECT_HAS(out, "wrote ");
    EXPECT_TRUE(std::filesystem::exists(work / "ck" / "best.muse"));
    EXPECT_HAS(out, "continue a stopped run with --resume");
    EXPECT_FALSE(std::filesystem::exists(work / "ck" / "state.ckpt")) << "the training state is removed once the model is written";
    // --resume with nothing to resume from, or without the checkpoint folder, says so.
    EXPECT_EQ(test::run_muse("train --dataset " + data + " --train-split train.txt --val-split val.txt --epochs 2 --batch 2 "
                       "--tile-px 96 --head-hidden 32 --val-every 1 --resume --checkpoint-dir " + shell_quote((work / "ck").string()) +
                       " -o " + shell_quote((work / "m2.muse").string()), &out),
              1);
    EXPECT_HAS(out, "no training checkpoint at");
    EXPECT_EQ(test::run_muse("train --dataset " + data + " --resume -o " + shell_quote((work / "m2.muse").string()), &out), 1);
    EXPECT_HAS(out, "--resume needs the --checkpoint-dir");
    // A stopped run's state is never overwritten by a fresh start.
    test::write_file(work / "ck" / "state.ckpt", "a stopped run's state");
    EXPECT_EQ(test::run_muse("train --dataset " + data + " --checkpoint-dir " + shell_quote((work / "ck").string()) + " -o " +
                                 shell_quote((work / "m2.muse").string()), &out),
              1);
    EXPECT_HAS(out, "add --resume to continue it, or delete it");
    EXPECT_EQ(test::read_file(work / "ck" / "state.ckpt"), "a stopped run's state");
    const auto report = nlohmann::json::parse(test::read_file(work / "report.json"));
    EXPECT_EQ(report["history"].size(), 2u);
    EXPECT_TRUE(report["validation"]["classes"].is_array());

    ASSERT_EQ(test::run_muse("info " + shell_quote((work / "m.muse").string()), &out), 0) << out;
    EXPECT_HAS(out, "classes:             Lymphocyte");
    EXPECT_HAS(out, "detection:           proposals every 8 px");

    ASSERT_EQ(test::run_muse("eval -m " + shell_quote((work / "m.muse").string()) + " --dataset " + data +
                           " --split val.txt -o " + shell_quote((work / "eval.json").string()),
                       &out),
              0)
        << out;
    EXPECT_HAS(out, "mean F1 over classes");
    const auto eval = nlohmann::json::parse(test::read_file(work / "eval.json"));
    EXPECT_EQ(eval["classes"].size(), 3u);
    EXPECT_EQ(eval["images"], 1);

    const std::string slide = shell_quote((*dir_ / "data" / "images" / "img0.png").string());
    EXPECT_TRUE(test::muse_refuses("detect " + slide + " -m " + shell_quote((work / "m.muse").string()) + " -o " +
                                       shell_quote((work / "d.geojson").string()),
                                   "does not say its pixel size (MPP); give it with --mpp", work / "d.geojson"));
    ASSERT_EQ(test::run_muse("detect " + slide + " --mpp 0.5 --tile-px 96 --score-threshold 0.05 -m " +
                           shell_quote((work / "m.muse").string()) + " -o " + shell_quote((work / "d.geojson").string()),
                       &out),
              0)
        << out;
    EXPECT_HAS(out, "wrote ");
    const auto geo = nlohmann::json::parse(test::read_file(work / "d.geojson"));
    EXPECT_EQ(geo["type"], "FeatureCollection");
    ASSERT_TRUE(geo["features"].is_array());
    EXPECT_FALSE(geo["features"].empty());
    for (const auto& f : geo["features"]) {  // named, so that QuPath's extension replaces these and nothing else
        EXPECT_EQ(f["properties"]["name"], "MUSE m");
    }
    ASSERT_EQ(test::run_muse("detect " + slide + " --mpp 0.5 --tile-px 96 -m " + shell_quote((work / "m.muse").string()) +
                           " -o " + shell_quote((work / "d.csv").string()),
                       &out),
              0)
        << out;
    EXPECT_EQ(test::read_file(work / "d.csv").rfind("x,y,class,score\n", 0), 0u);

    // Cross-validation folds: two model/split pairs pooled, per-image lines, both matching rules.
    const std::string m = shell_quote((work / "m.muse").string());
    ASSERT_EQ(test::run_muse("eval -m " + m + " --split val.txt -m " + m + " --split train.txt --dataset " + data +
                                 " --per-image --score-threshold 0.05 -o " + shell_quote((work / "cv.json").string()),
                             &out),
              0)
        << out;
    EXPECT_HAS(out, "image (worst first)");
    EXPECT_HAS(out, "img5");
    EXPECT_HAS(out, "folds: 2, mean F1 per fold");
    EXPECT_HAS(out, "95 % bootstrap interval over images");
    EXPECT_HAS(out, "greedy matching");
    const auto cv = nlohmann::json::parse(test::read_file(work / "cv.json"));
    EXPECT_EQ(cv["images"], 6) << "1 + 5 images pooled";
    EXPECT_EQ(cv["per_image"].size(), 6u);
    EXPECT_EQ(cv["folds"].size(), 2u);
    EXPECT_LE(cv["bootstrap"]["low"].get<double>(), cv["bootstrap"]["high"].get<double>());
    ASSERT_EQ(test::run_muse("eval -m " + m + " --split val.txt --dataset " + data +
                                 " --matching hungarian --stain weak-h-strong-e --rescale 2 --bootstrap 0 --tta -o " +
                                 shell_quote((work / "shift.json").string()),
                             &out),
              0)
        << out;
    EXPECT_HAS(out, "hungarian matching");
    const auto shift = nlohmann::json::parse(test::read_file(work / "shift.json"));
    EXPECT_EQ(shift["simulated"]["stain"], "weak-h-strong-e");
    EXPECT_EQ(shift["matching"], "hungarian");
    EXPECT_EQ(shift["tta"], true);
    EXPECT_EQ(test::run_muse("eval -m " + m + " -m " + m + " --split val.txt --dataset " + data, &out), 1);
    EXPECT_HAS(out, "give one --split per --model");
    EXPECT_EQ(test::run_muse("eval -m " + m + " --dataset " + data + " --split val.txt --stain purple", &out), 1);
    EXPECT_HAS(out, "unknown stain change 'purple'");

    // Thresholds chosen on labelled images: the model is rewritten with them, weights unchanged.
    // (Here on the images as a far lab would show them: --stain studies a simulated lab.)
    ASSERT_EQ(test::run_muse("thresholds -m " + m + " --dataset " + data + " --split train.txt --per-class --stain far-lab -o " +
                                 shell_quote((work / "t.muse").string()),
                             &out),
              0)
        << out;
    EXPECT_HAS(out, "score threshold 0.");
    EXPECT_HAS(out, "(optimistic)");
    const Model tuned = Model::load(work / "t.muse"), base = Model::load(work / "m.muse");
    for (const auto& [name, t] : base.state_dict()) EXPECT_TRUE(at::equal(t, tuned.state_dict().at(name))) << name;
    const auto provenance = nlohmann::json::parse(tuned.config().provenance_json);
    EXPECT_EQ(provenance["thresholds"]["images"], 5);
    EXPECT_EQ(provenance["thresholds"]["stain"], "far-lab");
    EXPECT_TRUE(test::muse_refuses("thresholds -m " + m + " --dataset " + data + " --split train.txt --stain purple -o " +
                                       shell_quote((work / "t2.muse").string()),
                                   "unknown stain change 'purple'", work / "t2.muse"));
    EXPECT_NE(test::run_muse("thresholds -m " + m + " --dataset " + data + " --split val.txt", &out), 0);
    EXPECT_HAS(out, "--output is required");

    // Label-free adaptation from unlabelled images of a "lab", and scoring with it.
    ASSERT_EQ(test::run_muse("adapt -m " + m + " --slide " + slide + " --slide " +
                                 shell_quote((*dir_ / "data" / "images" / "img1.png").string()) +
                                 " --mpp 0.5 --tiles 4 --tile-px 64 --no-tissue-mask -o " + shell_quote((work / "a.muse").string()),
                             &out),
              0)
        << out;
    EXPECT_HAS(out, "BatchNorm statistics of");
    EXPECT_HAS(out, "from 4 tiles of 2 slide(s)");
    EXPECT_TRUE(std::filesystem::exists(work / "a.muse"));
    ASSERT_EQ(test::run_muse("eval -m " + m + " --split train.txt --dataset " + data +
                                 " --stain weak-h --adapt --adapt-weight 0.5 --bootstrap 0 -o " +
                                 shell_quote((work / "adapted.json").string()),
                             &out),
              0)
        << out;
    EXPECT_EQ(nlohmann::json::parse(test::read_file(work / "adapted.json"))["adapted"], 0.5);
    EXPECT_TRUE(test::muse_refuses("adapt -m " + m + " --slide " + slide + " --mpp 0.5 --batch 1 -o " +
                                       shell_quote((work / "b.muse").string()),
                                   "batch must be in 2..64", work / "b.muse"));
    EXPECT_TRUE(test::muse_refuses("adapt -m " + m + " --slide " + slide + " --mpp 0.5 --weight 2 -o " +
                                       shell_quote((work / "b.muse").string()),
                                   "--weight: Value 2 is not a share in 0..1", work / "b.muse", std::nullopt));
    EXPECT_TRUE(test::muse_refuses("eval -m " + m + " --split train.txt --dataset " + data + " --adapt --adapt-weight 1.5 -o " +
                                       shell_quote((work / "e.json").string()),
                                   "--adapt-weight: Value 1.5 is not a share in 0..1", work / "e.json", std::nullopt));
}

TEST_F(CliDetection, TrainsDecoderAndHeadsOnAFrozenImportedBackbone) {
    // The paper's route: a released MUSE checkpoint (here one with untrained weights laid out
    // the same way), imported, then decoder and heads trained on top of its frozen backbone.
    TempDir work;
    std::string out;
    const std::string data = shell_quote((*dir_ / "data").string());
    ASSERT_EQ(test::run_command(std::string(MUSE_MAKE_CHECKPOINT_PATH) + " vit_small 224 5 " +
                                    shell_quote((work / "vit.pth").string()),
                                &out),
              0)
        << out;
    ASSERT_EQ(test::run_muse("import " + shell_quote((work / "vit.pth").string()) + " --arch vit_small --img-size 224 -o " +
                                 shell_quote((work / "vit.muse").string()),
                             &out),
              0)
        << out;
    ASSERT_EQ(test::run_muse("train --dataset " + data + " --train-split train.txt --val-split '' --arch vit_small --init " +
                                 shell_quote((work / "vit.muse").string()) +
                                 " --freeze-backbone --epochs 1 --batch 5 --tile-px 96 --head-hidden 32 -o " +
                                 shell_quote((work / "det.muse").string()),
                             &out),
              0)
        << out;
    EXPECT_HAS(out, "backbone frozen");
    const Model imported = Model::load(work / "vit.muse");
    const Model trained = Model::load(work / "det.muse");
    EXPECT_EQ(trained.config().img_size, 224) << "the backbone's own size, so its position table loads as it is";
    EXPECT_TRUE(trained.config().has_heads());
    const auto before = imported.state_dict(), after = trained.state_dict();
    int backbone = 0, changed_elsewhere = 0;
    for (const auto& [name, t] : after) {
        auto it = before.find(name);
        if (name.rfind("encoder.encoder.", 0) == 0) {
            ASSERT_NE(it, before.end()) << name;
            EXPECT_TRUE(at::equal(t, it->second)) << name << " changed although the backbone is frozen";
            ++backbone;
        } else if (it == before.end() || !at::equal(t, it->second)) {
            ++changed_elsewhere;
        }
    }
    EXPECT_GT(backbone, 50);
    EXPECT_GT(changed_elsewhere, 0) << "decoder and heads must have trained";
    EXPECT_EQ(test::run_muse("train --dataset " + data + " --train-split train.txt --val-split '' --freeze-backbone "
                                 "--epochs 1 --tile-px 96 -o " + shell_quote((work / "x.muse").string()),
                             &out),
              1);
    EXPECT_HAS(out, "freezing the backbone needs initial weights");
}

// `muse finetune --dataset --stain`: the simulation of another lab that bench/finetune_lab.sh
// uses; the stain and the label-free first adaptation are recorded in the model's provenance,
// and misuse is refused before any work.
TEST_F(CliDetection, FinetuneSimulatesAnotherLabsStain) {
    TempDir work;
    std::string out;
    const std::string data = shell_quote((*dir_ / "data").string());
    const std::string model = shell_quote((std::filesystem::path(MUSE_SAMPLES_DIR).parent_path() / "models" / "muse-default.muse").string());
    ASSERT_EQ(test::run_muse("finetune -m " + model + " --dataset " + data + " --split train.txt --stain far-lab --mode heads "
                             "--epochs 1 --sample-px 256 --stain-fit-epochs 3 -o " + shell_quote((work / "lab.muse").string()),
                             &out),
              0)
        << out;
    // Adapting the statistics first is the default, but these five small images are too little
    // tissue for it (the library's tests check the adaptation itself): said, not hidden.
    EXPECT_HAS(out, "the BatchNorm statistics were not adapted first");
    // The precision is said up front: auto is bfloat16 exactly where the CPU has it natively.
    EXPECT_HAS(out, native_bf16_isa().empty() ? "1 epochs, fp32" : "1 epochs, bf16 (" + native_bf16_isa() + ")");
    ASSERT_EQ(test::run_muse("info " + shell_quote((work / "lab.muse").string()), &out), 0) << out;
    EXPECT_HAS(out, "far-lab");
    EXPECT_HAS(out, "\"adapt_weight\":-1.0");  // the options: chosen on the annotations (auto)
    const std::string to_x = " -o " + shell_quote((work / "x.muse").string());
    // The option parser's range checks exit with its own codes (nullopt: any failure).
    EXPECT_TRUE(test::muse_refuses("finetune -m " + model + " --dataset " + data + " --adapt-weight 1.5" + to_x,
                                   "--adapt-weight: Value 1.5 is neither 'auto' nor a share in 0..1", work / "x.muse", std::nullopt));
    EXPECT_TRUE(test::muse_refuses("finetune -m " + model + " --dataset " + data + " --adapt-weight sometimes" + to_x,
                                   "--adapt-weight: Value sometimes is neither 'auto' nor a share in 0..1", work / "x.muse",
                                   std::nullopt));
    EXPECT_TRUE(test::muse_refuses("finetune -m " + model + " --dataset " + data + " --backbone-lr-scale 0" + to_x,
                                   "--backbone-lr-scale: Value 0 is not a share in (0, 1]", work / "x.muse", std::nullopt));
    EXPECT_TRUE(test::muse_refuses("finetune -m " + model + " --dataset " + data + " --precision fp16" + to_x,
                                   "--precision: fp16 not in {auto,fp32,bf16}", work / "x.muse", std::nullopt));
    EXPECT_TRUE(test::muse_refuses("finetune -m " + model + " --dataset " + data + " --stain purple" + to_x,
                                   "unknown stain change 'purple': use one of weak-h", work / "x.muse"));
    EXPECT_TRUE(test::muse_refuses("finetune -m " + model + " --slide a.png --annotations a.geojson --stain far-lab" + to_x,
                                   "--stain simulates another lab on --dataset images only", work / "x.muse"));
}

TEST_F(CliDetection, ErrorsAreClear) {
    TempDir work;
    std::string out;
    // MUSE_DEFAULT_MODEL names where the default model is; missing there is an error naming it.
    EXPECT_EQ(test::run_command("MUSE_DEFAULT_MODEL=" + shell_quote((work / "none.muse").string()) + " " + std::string(MUSE_CLI_PATH) +
                                    " detect " + shell_quote((*dir_ / "data" / "images" / "img0.png").string()) +
                                    " --mpp 0.5 -o " + shell_quote((work / "x.geojson").string()),
                                &out),
              1);
    EXPECT_HAS(out, "the default model was not found; looked in:");
    EXPECT_HAS(out, "none.muse");
    test::write_file(work / "junk.svs", std::string(3000, 'x'));
    EXPECT_TRUE(test::muse_refuses("detect " + shell_quote((work / "junk.svs").string()) + " -m " +
                                       shell_quote((work / "junk.svs").string()) + " -o " +
                                       shell_quote((work / "x.geojson").string()),
                                   "junk.svs'", work / "x.geojson"));
    EXPECT_EQ(test::run_muse("train --dataset " + shell_quote(work.path().string()) + " -o " +
                           shell_quote((work / "m.muse").string()),
                       &out),
              1);
    EXPECT_HAS(out, "split_train.txt");
    // An absurd pixel size is an error, not an empty GeoJSON with exit 0.
    EXPECT_TRUE(test::muse_refuses("detect " + shell_quote((*dir_ / "data" / "images" / "img0.png").string()) +
                                       " --mpp 1e308 -o " + shell_quote((work / "x.geojson").string()),
                                   "a pixel size of 1e+308 um/px (given with --mpp) is outside 0.05-100 um/px", work / "x.geojson"));
    // Empty glass: 0 nuclei may be genuine, so a result and exit 0, with a loud warning saying why.
    RgbImage glass(320, 320);
    std::fill(glass.pixels.begin(), glass.pixels.end(), std::uint8_t{245});
    write_png(glass, work / "glass.png");
    ASSERT_EQ(test::run_muse("detect " + shell_quote((work / "glass.png").string()) + " --mpp 0.5 -m " +
                                 shell_quote((std::filesystem::path(MUSE_TEST_FIXTURES_DIR) / "synthetic-detector.muse").string()) +
                                 " -o " + shell_quote((work / "glass.geojson").string()),
                             &out),
              0)
        << out;
    EXPECT_HAS(out, "holds tissue, so no nucleus was detected");
    EXPECT_HAS(out, "--no-tissue-mask");
    EXPECT_TRUE(nlohmann::json::parse(test::read_file(work / "glass.geojson"))["features"].empty());
    ASSERT_EQ(test::run_muse("detect --help", &out), 0);
    EXPECT_HAS(out, "Example");
    EXPECT_HAS(out, "--roi");
}

}  // namespace
}  // namespace muse
