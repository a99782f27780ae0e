// `muse eval`: detection F1 per class and classification accuracy of a model on labelled images;
// several model/split pairs pool the test folds of a cross-validation into one estimate.
#include <cmath>
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "commands.hpp"
#include "muse/adapt.hpp"
#include "muse/errors.hpp"
#include "muse/eval.hpp"
#include "muse/files.hpp"
#include "muse/stain.hpp"

namespace muse::cli {

Command add_eval_command(CLI::App& app) {
    struct Options {
        std::vector<std::string> models, splits{"split_val.txt"};
        std::string dataset, output, matching = "greedy", stain = "none";
        double mpp = 0.5, rescale = 1.0;
        bool per_image = false, adapt = false;
        AdaptOptions adaptation;
        int bootstrap = 2000;
        EvalOptions eval;
        DetectOptions detect;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("eval", "Score a model's nucleus detection and classification on labelled images");
    cmd->add_option("-m,--model", o->models,
                    "Model file (.muse) with detection heads; repeat with --split for cross-validation folds")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--dataset", o->dataset, "Dataset folder in the BRCA-M2C layout (images/, labels/, split lists)")
        ->required()
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--split", o->splits, "List of the images to score, relative to --dataset; one per --model")
        ->capture_default_str();
    cmd->add_option("--mpp", o->mpp, "Resolution of the dataset's images, um/px")->capture_default_str();
    cmd->add_option("--radius-um", o->eval.radius_um, "Matching radius, um")->capture_default_str();
    cmd->add_option("--matching", o->matching,
                    "greedy (MCSpatNet's published rule, as the literature scores BRCA-M2C) or hungarian "
                    "(the largest one-to-one matching)")
        ->check(CLI::IsMember({"greedy", "hungarian"}))
        ->capture_default_str();
    cmd->add_option("--score-threshold", o->detect.score_threshold, "Detection threshold (default: the model's)");
    cmd->add_flag("--adapt", o->adapt,
                  "First adapt each model's BatchNorm statistics to the images it scores (muse adapt; label-free)");
    cmd->add_option("--adapt-weight", o->adaptation.weight, "With --adapt: share of the images' statistics (muse adapt --weight)")
        ->check(share_validator(true))
        ->capture_default_str();
    cmd->add_flag("--tta", o->detect.tta, "Average the model over each image and its three mirror images (4x slower)");
    // float32 by default: a score must not depend on the machine; --precision auto|bf16 measures
    // what bfloat16 detection changes (docs/performance.md).
    add_precision_option(*cmd, o->detect.precision, Precision::Fp32);
    cmd->add_option("--merge-radius-um", o->detect.merge_radius_um, "Duplicate suppression radius (default: the model's)");
    cmd->add_flag("--per-image", o->per_image, "Also print one line per image, worst first");
    cmd->add_option("--bootstrap", o->bootstrap,
                    "Resamples of the images for a 95 % interval of the mean F1 (0 = none)")
        ->capture_default_str();
    cmd->add_option("--stain", o->stain, "Score the images recoloured as another lab: " + stain_choices())
        ->capture_default_str();
    cmd->add_option("--rescale", o->rescale,
                    "Score the images resampled by this factor (2: as scanned at half the pixel size); the "
                    "detector brings them back to its own pixel size")
        ->capture_default_str();
    cmd->add_option("-o,--output", o->output, "Also write the scores (and every image's counts) as JSON to this file");
    cmd->footer(
        "For each class, the model's detections of that class are matched one-to-one to the labelled\n"
        "nuclei of that class within the radius; precision, recall and F1 are pooled over the images and\n"
        "averaged over classes (MCSpatNet-style). Also reports the class H_type gives at each labelled\n"
        "nucleus (classification accuracy at known positions) and a bootstrap interval over images.\n"
        "With several -m/--split pairs (the test folds of a cross-validation, each with the model that\n"
        "did not see it), each fold is scored, then all images pooled; the spread across folds is shown.\n\n"
        "Examples:\n"
        "  muse eval -m models/muse-default.muse --dataset ../shared/data/brca-m2c --split split_val.txt\n"
        "  muse eval -m f1.muse --split fold1.txt -m f2.muse --split fold2.txt --dataset DIR --per-image\n"
        "  muse eval -m models/muse-default.muse --dataset DIR --stain weak-h-strong-e");
    return {cmd, [o] {
        if (o->models.size() != o->splits.size()) {
            throw InvalidArgument("give one --split per --model (got " + std::to_string(o->models.size()) + " models and " +
                                  std::to_string(o->splits.size()) + " splits)");
        }
        if (o->bootstrap < 0) throw InvalidArgument("--bootstrap must be >= 0");
        o->eval.matching = parse_matching(o->matching);
        stain_preset(o->stain);  // a bad name fails before any work
        o->adaptation.tissue_mask = false;  // --adapt: a labelled data set's patches are all tissue
        std::vector<EvalReport> folds;
        InterruptibleProgress progress(nullptr);
        for (std::size_t f = 0; f < o->models.size(); ++f) {
            Model model = Model::load(o->models[f]);
            auto images = read_brca_m2c(o->dataset, o->splits[f], o->mpp);
            simulate_lab(images, o->stain, o->rescale);
            if (o->adapt) {  // the images' pixels only, never their labels
                std::vector<AdaptSlide> slides;
                for (const auto& img : images) slides.push_back({image_slide(img.image, img.mpp, img.name), 0.0});
                model = adapt_batchnorm(model, slides, o->adaptation, progress.get()).model;
            }
            folds.push_back(evaluate_model(model, images, o->eval, o->detect, progress.get()));
            if (o->models.size() > 1) {
                status("fold " + std::to_string(f + 1) + " (" + o->splits[f] + ", " + std::to_string(images.size()) +
                       " images): mean F1 " + std::to_string(100.0 * folds.back().mean_f1).substr(0, 5) + " %");
            }
        }
        const EvalReport r = folds.size() == 1 ? folds.front() : pool_reports(folds);
        if (o->per_image) std::printf("%s\n", eval_per_image_table(r).c_str());
        std::printf("%s", eval_report_table(r).c_str());
        nlohmann::json extra = nlohmann::json::object();
        if (folds.size() > 1) {
            double mean = 0.0, sq = 0.0;
            nlohmann::json per_fold = nlohmann::json::array();
            for (std::size_t f = 0; f < folds.size(); ++f) {
                mean += folds[f].mean_f1;
                per_fold.push_back({{"model", o->models[f]}, {"split", o->splits[f]}, {"images", folds[f].images},
                                    {"mean_f1", folds[f].mean_f1}});
            }
            mean /= static_cast<double>(folds.size());
            for (const auto& f : folds) sq += (f.mean_f1 - mean) * (f.mean_f1 - mean);
            const double sd = std::sqrt(sq / static_cast<double>(folds.size() - 1));
            std::printf("folds: %zu, mean F1 per fold %.2f +- %.2f (sd)\n", folds.size(), 100.0 * mean, 100.0 * sd);
            extra["folds"] = per_fold;
            extra["fold_mean_f1"] = mean;
            extra["fold_sd_f1"] = sd;
        }
        if (o->bootstrap > 0) {
            const Interval ci = bootstrap_mean_f1(r, o->bootstrap);
            std::printf("mean F1 %.2f %%, 95 %% bootstrap interval over images %.2f - %.2f (%d resamples)\n",
                        100.0 * r.mean_f1, 100.0 * ci.low, 100.0 * ci.high, ci.samples);
            extra["bootstrap"] = {{"low", ci.low}, {"high", ci.high}, {"level", ci.level}, {"samples", ci.samples}};
        }
        if (o->stain != "none" || o->rescale != 1.0) {
            extra["simulated"] = {{"stain", o->stain}, {"rescale", o->rescale}};
        }
        extra["tta"] = o->detect.tta;
        extra["precision"] = to_string(resolve_precision(o->detect.precision));
        extra["adapted"] = o->adapt ? nlohmann::json(o->adaptation.weight) : nlohmann::json(false);
        if (!o->output.empty()) {
            nlohmann::json j = nlohmann::json::parse(eval_report_json(r));
            j.update(extra);
            write_file_atomically(o->output, j.dump(2) + "\n");
            status("wrote " + o->output);
        }
    }};
}

}  // namespace muse::cli
