// `muse finetune`: adapt a detection model to a user's annotated regions (LFoV semi-supervised).
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "commands.hpp"
#include "muse/errors.hpp"
#include "muse/files.hpp"
#include "muse/finetune.hpp"
#include "muse/stain.hpp"

namespace muse::cli {
namespace {

/// BRCA-M2C images as slides with one annotated square each (the rest unlabelled): the
/// simulation of a user that muse's evidence uses. The square's side is `fraction` of the
/// image's shorter side, at a random position drawn from `seed`. `stain` (a stain_preset name,
/// or "none") recolours the images as another lab's scanner would show them.
void add_simulated_annotations(FinetuneData& data, const std::string& dataset, const std::string& split, double mpp,
                               double fraction, std::uint64_t seed, const std::string& stain) {
    std::mt19937_64 rng(seed);
    auto images = read_brca_m2c(dataset, split, mpp);
    simulate_lab(images, stain, 1.0);
    for (auto& img : images) {
        const std::filesystem::path file = std::filesystem::path(dataset) / "images" / (img.name + ".png");
        const int w = img.image.width, h = img.image.height;
        const int side = std::max(16, static_cast<int>(fraction * std::min(w, h)));
        const int x0 = std::uniform_int_distribution<int>(0, w - side)(rng);
        const int y0 = std::uniform_int_distribution<int>(0, h - side)(rng);
        AnnotatedRegion r;
        r.name = img.name;
        r.area.outer = {{double(x0), double(y0)}, {double(x0 + side), double(y0)}, {double(x0 + side), double(y0 + side)},
                        {double(x0), double(y0 + side)}};
        for (const auto& n : img.nuclei) {
            if (r.area.contains(n.x, n.y)) r.nuclei.push_back(n);
        }
        AnnotationSet set;
        set.classes = data.classes;
        set.regions.push_back(std::move(r));
        if (stain == "none") {
            data.add(open_slide(file), img.mpp, std::move(set));
        } else {  // recoloured by simulate_lab
            data.add(image_slide(std::move(img.image), img.mpp, file.string() + " (" + stain + ")"), img.mpp, std::move(set));
        }
    }
}

}  // namespace

Command add_finetune_command(CLI::App& app) {
    struct Options {
        std::string model, output, mode = "full", report, dataset, split = "split_train.txt", checkpoint, stain = "none";
        std::vector<std::string> slides, annotations;
        double mpp = 0.0, fraction = 0.5;
        bool new_classes = false, no_lfov = false;
        FinetuneOptions ft;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("finetune", "Fine-tune a detection model on annotated regions (LFoV semi-supervised)");
    cmd->add_option("-m,--model", o->model, "Base model (.muse with heads); default: the bundled default model")
        ->check(CLI::ExistingFile);
    cmd->add_option("--slide", o->slides, "Slide or image with annotations (repeat, paired with --annotations)");
    cmd->add_option("--annotations", o->annotations, "QuPath GeoJSON export of that slide's annotations (repeat)");
    cmd->add_option("--dataset", o->dataset, "Instead: a BRCA-M2C-layout folder, one annotated square per image (simulation)")
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--split", o->split, "With --dataset: the images to use")->capture_default_str();
    cmd->add_option("--stain", o->stain, "With --dataset: recolour the images as another lab (as muse eval --stain)")
        ->capture_default_str();
    cmd->add_option("--annotated-fraction", o->fraction, "With --dataset: the square's side over the image's side")
        ->capture_default_str();
    cmd->add_option("-o,--output", o->output, "The fine-tuned model file to write (never the base model)")->required();
    cmd->add_option("--mpp", o->mpp, "Level-0 um/px of the slides (default: from the files)");
    cmd->add_option("--mode", o->mode, "full: every weight; decoder: backbone frozen; heads: only the heads, fast")
        ->check(CLI::IsMember({"full", "decoder", "heads"}))
        ->capture_default_str();
    cmd->add_option("--epochs", o->ft.epochs, "Passes over the annotated regions")->capture_default_str();
    cmd->add_option("--batch", o->ft.batch, "Samples per optimiser step")->capture_default_str();
    cmd->add_option("--sample-px", o->ft.sample_px, "LFoV sample side at the model's resolution (multiple of 32)")
        ->capture_default_str();
    cmd->add_flag("--no-lfov", o->no_lfov, "Train on the annotated squares only, without their surroundings");
    cmd->add_option("--lr", o->ft.lr, "Adam learning rate at the start")->capture_default_str();
    cmd->add_option("--lr-min", o->ft.lr_min, "Learning rate at the end of the cosine schedule")->capture_default_str();
    cmd->add_option("--backbone-lr-scale", o->ft.backbone_lr_scale,
                    "Full mode: the backbone learns at this share of the learning rate (decoder and heads at all of "
                    "it; 1 = the paper's one rate)")
        ->check(share_validator(false))
        ->capture_default_str();
    cmd->add_option("--reg-weight", o->ft.reg_weight, "lambda_reg: weight of the coordinate loss")->capture_default_str();
    cmd->add_option("--type-weight", o->ft.type_weight, "lambda_type: weight of the class loss")->capture_default_str();
    cmd->add_option("--cons-weight", o->ft.cons_weight, "lambda_cons at the end of its ramp (0 = no pseudo-labels)")
        ->capture_default_str();
    cmd->add_option("--cons-threshold", o->ft.cons_threshold, "Confidence a pseudo-label needs")->capture_default_str();
    cmd->add_option("--colour-jitter", o->ft.colour_jitter, "Colour jitter amount")->capture_default_str();
    cmd->add_option("--class-balance", o->ft.class_balance,
                    "Weigh each class's points by (mean count / its count)^this over the annotations: 0 = equal, "
                    "1 = inverse frequency (helps a class added with few points)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    cmd->add_option("--seed", o->ft.seed, "Random seed (same seed and threads: same model)")->capture_default_str();
    cmd->add_flag("--new-classes", o->new_classes,
                  "Point classes the model lacks become new classes (else an error); their rows of the type head "
                  "learn 10x faster than the rest. For a class the model was trained to ignore, --mode heads "
                  "--lr 1e-3 learns it better still (docs/finetune.md)");
    cmd->add_option("--adapt-weight", o->ft.adapt_weight,
                    "First adapt the model's BatchNorm statistics to these slides' tissue (label-free, as muse adapt), "
                    "blended with its own at this share; 0 = off; auto = the share among 0, 0.5 and 1 whose model "
                    "fits the clicked nuclei best before training (docs/finetune.md)")
        ->transform(share_validator(true, FinetuneOptions::kAdaptAuto))
        ->default_str("auto");
    cmd->add_option("--stain-fit-epochs", o->ft.stain_fit_epochs,
                    "First fit a correction of the lab's stain (12 numbers on the pixels' optical density, every "
                    "weight frozen) on the annotated regions for this many passes; the new model keeps it; 0 = off "
                    "(measured: closes most of a strong stain shift's gap, costs nothing where the colours are "
                    "alike; docs/finetune.md)")
        ->check(CLI::Range(0, 1000))
        ->capture_default_str();
    cmd->add_option("--stain-fit-lr", o->ft.stain_fit_lr, "Learning rate of that fit")->capture_default_str();
    cmd->add_option("--stain-fit-batch", o->ft.stain_fit_batch, "Regions per optimiser step of that fit")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    add_precision_option(*cmd, o->ft.precision);  // measured: same F1, faster (docs/performance.md)
    cmd->add_option("--checkpoint", o->checkpoint, "Checkpoint file, written after every epoch (default: OUTPUT.ckpt)");
    cmd->add_flag("--resume", o->ft.resume, "Continue an interrupted run from its checkpoint (same options)");
    cmd->add_option("--report", o->report, "Write the fine-tuning history as JSON");
    cmd->footer(
        "Grows each annotated region to a large square of the slide (--sample-px at the model's\n"
        "resolution) with the region at a random place inside it. Inside the region the clicked nuclei\n"
        "train both heads (every other proposal there is background); outside it, the model's own\n"
        "confident predictions (>= --cons-threshold) train the class head with a weight that ramps from\n"
        "0 to --cons-weight. An area counts as annotated when it holds classified points, or when it is\n"
        "named 'no nuclei'. Ctrl-C stops; --resume continues to the same result.\n\n"
        "Examples:\n"
        "  muse finetune --slide slide.svs --annotations slide-annotations.geojson --mode heads -o my.muse\n"
        "  muse finetune --dataset ../shared/data/brca-m2c --epochs 20 -o sim.muse");
    return {cmd, [o] {
        if (o->dataset.empty() == o->slides.empty()) throw InvalidArgument("give --slide/--annotations pairs, or --dataset");
        if (o->stain != "none") {
            if (o->dataset.empty()) throw InvalidArgument("--stain simulates another lab on --dataset images only");
            stain_preset(o->stain);  // a bad name fails before any work
        }
        if (o->slides.size() != o->annotations.size()) {
            throw InvalidArgument("give one --annotations file per --slide (" + std::to_string(o->slides.size()) +
                                  " slides, " + std::to_string(o->annotations.size()) + " annotation files)");
        }
        const std::string model_path = model_or_default(o->model);
        o->ft.checkpoint = o->checkpoint.empty() ? o->output + ".ckpt" : o->checkpoint;
        check_finetune_paths(model_path, o->output, o->ft.checkpoint);  // before any work
        Model base = Model::load(model_path);
        o->ft.mode = parse_finetune_mode(o->mode);
        o->ft.lfov = !o->no_lfov;
        o->ft.adapt_tissue_mask = o->dataset.empty();  // a data set's patches are all tissue

        FinetuneData data(base, o->new_classes);
        nlohmann::json sources = nlohmann::json::array();
        if (!o->dataset.empty()) {
            add_simulated_annotations(data, o->dataset, o->split, o->mpp > 0 ? o->mpp : 0.5, o->fraction, o->ft.seed, o->stain);
            sources.push_back({{"dataset", o->dataset}, {"split", o->split}, {"annotated_fraction", o->fraction}, {"stain", o->stain}});
        } else {
            for (std::size_t i = 0; i < o->slides.size(); ++i) {
                AnnotationSet a = read_qupath_annotations(o->annotations[i], data.read_options());
                if (a.points_outside || a.areas_without_points) {
                    status(o->annotations[i] + ": " + std::to_string(a.points_outside) + " point(s) outside every area and " +
                           std::to_string(a.areas_without_points) + " area(s) without points are not used");
                }
                data.add(open_slide(o->slides[i]), o->mpp, std::move(a));
                sources.push_back({{"slide", o->slides[i]}, {"annotations", o->annotations[i]}});
            }
        }
        o->ft.provenance_json =
            nlohmann::json({{"base_model_file", model_path}, {"data", sources}}).dump();
        status("fine-tuning " + model_path + " (" + base.config().arch + ", mode " + o->mode + ") on " +
               std::to_string(data.regions) + " annotated regions with " + std::to_string(data.nuclei) + " nuclei, " +
               std::to_string(o->ft.epochs) + " epochs, " + describe_precision(o->ft.precision) +
               (o->ft.resume ? ", resuming" : ""));

        auto last = std::chrono::steady_clock::now();
        InterruptibleProgress progress([&last](const ProgressUpdate& u) {
            const auto now = std::chrono::steady_clock::now();
            if (now - last < std::chrono::seconds(5) && u.done != u.total) return;
            last = now;
            status("  " + std::to_string(u.done) + "/" + std::to_string(u.total) + " " + u.unit + ": " + u.message);
        });
        const FinetuneResult r = finetune_to_file(base, model_path, data, o->ft, o->output, progress.get(), [&](const FinetuneEpoch& e) {
            char line[256];
            std::snprintf(line, sizeof line,
                          "epoch %3d/%d  loss %.4f (type %.4f, reg %.2f, cons %.4f x %.3f, %lld pseudo-labels)  lr %.2e  %.1f s",
                          e.epoch, o->ft.epochs, e.loss, e.loss_type, e.loss_reg, e.loss_cons, e.lambda_cons,
                          static_cast<long long>(e.pseudo_labels), e.lr, e.seconds);
            status(line);
        });
        for (const auto& [w, loss] : r.adapt_losses) {
            char line[160];
            std::snprintf(line, sizeof line, "adaptation weight %.1f: loss %.4f on the annotated regions before training%s", w,
                          loss, w == r.adapt_weight ? " (chosen)" : "");
            status(line);
        }
        if (r.adapted_tiles > 0) {
            char weight[16];
            std::snprintf(weight, sizeof weight, "%.2g", r.adapt_weight);
            status("adapted the BatchNorm statistics of " + std::to_string(r.adapted_layers) + " layers to " +
                   std::to_string(r.adapted_tiles) + " tiles of these slides first, at weight " + weight);
        } else if (!r.adapt_losses.empty()) {
            status("kept the model's own BatchNorm statistics: they fit the annotated regions best");
        } else if (o->ft.adapt_weight != 0) {
            status("the BatchNorm statistics were not adapted first: the model has none, or the slides hold fewer than 8 "
                   "tissue tiles");
        }
        status("wrote " + o->output + (r.cache_seconds > 0 ? " (features cached in " + std::to_string(r.cache_seconds).substr(0, 4) + " s)" : ""));
        if (!o->report.empty()) {
            write_file_atomically(o->report, nlohmann::json::parse(r.model.config().provenance_json).dump(2) + "\n");
        }
    }};
}

}  // namespace muse::cli
