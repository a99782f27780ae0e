// `muse train`: supervised training of a detection model on a labelled dataset (BRCA-M2C layout).
#include <cstdio>
#include <fstream>
#include <memory>
#include <system_error>

#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "commands.hpp"
#include "muse/errors.hpp"
#include "muse/files.hpp"
#include "muse/train.hpp"

namespace muse::cli {

Command add_train_command(CLI::App& app) {
    struct Options {
        std::string dataset, train_split = "split_train.txt", val_split = "split_val.txt", output, init, report;
        std::string arch = "r50_w16";
        double mpp = 0.5;
        int stride = 8, head_hidden = 256;
        TrainOptions train;
        std::string checkpoint_dir;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("train", "Train a nucleus detection model on labelled images");
    cmd->add_option("--dataset", o->dataset, "Dataset folder in the BRCA-M2C layout (images/, labels/, split lists)")
        ->required()
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--train-split", o->train_split, "List of training images, relative to --dataset")->capture_default_str();
    cmd->add_option("--val-split", o->val_split, "List of validation images (selection of the best epoch); '' for none")
        ->capture_default_str();
    cmd->add_option("-o,--output", o->output, "Model file to write (.muse): the best validation epoch")->required();
    cmd->add_option("--arch", o->arch, "Architecture: " + arch_choices())->capture_default_str();
    cmd->add_option("--init", o->init, "Start from this model file's weights (backbone, and heads if it has them)")
        ->check(CLI::ExistingFile);
    cmd->add_flag("--freeze-backbone", o->train.freeze_backbone,
                  "With --init: keep the backbone (weights and BatchNorm statistics) and train the decoder and heads");
    cmd->add_option("--mpp", o->mpp, "Resolution the model works at, um/px (the images' too)")->capture_default_str();
    cmd->add_option("--stride", o->stride, "Proposal grid stride, px (4, 8, 16, 32)")->capture_default_str();
    cmd->add_option("--head-hidden", o->head_hidden, "Width of the head MLPs")->capture_default_str();
    cmd->add_option("--epochs", o->train.epochs, "Passes over the training images")->capture_default_str();
    cmd->add_option("--batch", o->train.batch, "Tiles per step")->capture_default_str();
    cmd->add_option("--tile-px", o->train.tile_px, "Training tile side, px (multiple of 32)")->capture_default_str();
    cmd->add_option("--lr", o->train.lr, "Adam learning rate at the start")->capture_default_str();
    cmd->add_option("--lr-min", o->train.lr_min, "Learning rate at the end of the cosine schedule")->capture_default_str();
    cmd->add_option("--weight-decay", o->train.weight_decay, "Adam weight decay")->capture_default_str();
    cmd->add_option("--reg-weight", o->train.reg_weight, "Weight of the coordinate loss")->capture_default_str();
    cmd->add_option("--class-balance", o->train.class_balance,
                    "Weigh each class's loss by (mean count / its count)^this over the training labels (0 = off, 0.5 = sqrt)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    cmd->add_option("--background-weight", o->train.background_weight, "CE weight of the background class")
        ->capture_default_str();
    cmd->add_option("--colour-jitter", o->train.colour_jitter, "Colour jitter amount")->capture_default_str();
    cmd->add_option("--scale-jitter", o->train.scale_jitter, "Scale jitter amount")->capture_default_str();
    cmd->add_option("--stain-jitter", o->train.stain_jitter,
                    "Haematoxylin and eosin amounts scaled by 1 +- this (optical density; 0 = off)")
        ->capture_default_str();
    cmd->add_option("--blur", o->train.blur_probability, "Share of tiles blurred (sigma 0.4-1.5 px)")->capture_default_str();
    cmd->add_option("--jpeg", o->train.jpeg_probability, "Share of tiles JPEG-compressed (quality 40-90)")
        ->capture_default_str();
    cmd->add_option("--distractors", o->train.distractor_probability,
                    "Share of tiles given 1-4 pasted things that are not nuclei (brown-black pigment, red blood "
                    "cells), placed away from the labelled nuclei, to learn as background (0 = off)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    cmd->add_option("--ema", o->train.ema_decay,
                    "Keep a moving average of the weights with this decay (e.g. 0.999; 0 = off) and use it")
        ->capture_default_str();
    cmd->add_flag("--class-thresholds", o->train.class_thresholds,
                  "Choose a score threshold per class on the validation images (kept only if it scores better)");
    cmd->add_option("--seed", o->train.seed, "Random seed (same seed and threads: same model)")->capture_default_str();
    cmd->add_option("--val-every", o->train.val_every, "Epochs between validations")->capture_default_str();
    // float32 by default: bfloat16 trains 1.45x faster and matched float32 over 400 epochs (three
    // folds) but scored a point lower over 40 (docs/performance.md); the footer says so.
    add_precision_option(*cmd, o->train.precision, Precision::Fp32);
    cmd->add_option("--checkpoint-dir", o->checkpoint_dir,
                    "Write best.muse and last.muse here as training goes, and the whole training state "
                    "(state.ckpt) for --resume");
    cmd->add_option("--checkpoint-every", o->train.checkpoint_every,
                    "Epochs between saves of the training state (also after each validation and the last epoch)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_flag("--resume", o->train.resume,
                  "Continue the stopped run whose state is in --checkpoint-dir (same command otherwise); "
                  "it ends with the model an uninterrupted run would have made");
    cmd->add_option("--report", o->report, "Write the training history and validation scores as JSON");
    cmd->footer(
        "Trains the MUSE encoder-decoder with point detection heads on fully labelled images: random\n"
        "tiles with flips, rotations, colour and scale jitter; proposals matched one-to-one to nuclei;\n"
        "Adam with a cosine schedule. The best validation epoch is kept and its score threshold tuned\n"
        "on the validation images. Ctrl-C stops cleanly (checkpoints already written stay); with\n"
        "--checkpoint-dir, rerunning the same command with --resume continues from the last saved epoch.\n"
        "--precision bf16 trains about 1.45x faster where the CPU has bfloat16; over the default model's\n"
        "400 epochs it scored as float32 (+0.7 points, 3 folds), over 40 epochs a point lower: float32\n"
        "stays the default (docs/performance.md).\n\n"
        "Example (the default model's recipe, models/README.md):\n"
        "  muse train --dataset ../shared/data/brca-m2c --epochs 400 --val-every 400 --lr 1e-3 \\\n"
        "       --stain-jitter 0.4 --blur 0.2 --jpeg 0.2 --scale-jitter 0.2 --ema 0.995 \\\n"
        "       --checkpoint-dir build/train -o muse-default.muse\n"
        "On the released MUSE weights (the paper's route; docs/detection.md):\n"
        "  muse import vit_s_16-224.pth --arch vit_small --img-size 224 -o vit_s.muse\n"
        "  muse train --dataset DIR --arch vit_small --init vit_s.muse --freeze-backbone --lr 1e-3 -o model.muse");
    return {cmd, [o] {
        ModelConfig config;
        config.arch = o->arch;
        config.img_size = o->train.tile_px;
        config.mpp = o->mpp;
        config.classes = brca_m2c_classes();
        config.detection.proposal_stride_px = o->stride;
        config.detection.head_hidden = o->head_hidden;
        config.provenance_json = nlohmann::json({{"source", "muse train"},
                                                 {"dataset", o->dataset},
                                                 {"train_split", o->train_split},
                                                 {"val_split", o->val_split},
                                                 {"init", o->init.empty() ? nlohmann::json() : nlohmann::json(o->init)}})
                                     .dump();
        std::map<std::string, at::Tensor> init;
        if (!o->init.empty()) {
            const Model base = Model::load(o->init);
            if (base.config().arch != config.arch) {
                throw InvalidArgument("--init '" + o->init + "' is a " + base.config().arch + " model, not " + config.arch);
            }
            init = base.state_dict();
            // Keep the backbone's own input size: a ViT's position table is sized by it and is
            // interpolated at run time for the training tiles (and any other tile).
            config.img_size = base.config().img_size;
            config.norm_mean = base.config().norm_mean;
            config.norm_std = base.config().norm_std;
            status("starting from " + o->init + " (" + base.config().arch + ", " + std::to_string(base.state_dict().size()) +
                   " tensors" + (base.config().has_heads() ? ", heads included" : ", no heads: they start fresh") +
                   (o->train.freeze_backbone ? "; backbone frozen)" : ")"));
        }
        if (o->train.resume && o->checkpoint_dir.empty()) {
            throw InvalidArgument("--resume needs the --checkpoint-dir of the run to continue");
        }
        if (!o->checkpoint_dir.empty()) {
            std::filesystem::create_directories(o->checkpoint_dir);
            o->train.checkpoint_dir = o->checkpoint_dir;
            o->train.checkpoint = std::filesystem::path(o->checkpoint_dir) / "state.ckpt";
            std::error_code error;
            if (!o->train.resume && std::filesystem::exists(o->train.checkpoint, error)) {
                // Starting afresh would overwrite a stopped run's state at its first save.
                throw InvalidArgument("'" + o->train.checkpoint.string() +
                                      "' holds a stopped run's state: add --resume to continue it, or delete it to "
                                      "start afresh");
            }
        }
        const auto train = read_brca_m2c(o->dataset, o->train_split, o->mpp);
        const auto val = o->val_split.empty() ? std::vector<LabelledImage>{} : read_brca_m2c(o->dataset, o->val_split, o->mpp);
        status("training " + config.arch + " on " + std::to_string(train.size()) + " images (validation: " +
               std::to_string(val.size()) + "), " + std::to_string(o->train.epochs) + " epochs, " +
               describe_precision(o->train.precision));
        if (!o->train.checkpoint.empty()) {
            status((o->train.resume ? "resuming from " : "training state saved every " +
                                                          std::to_string(o->train.checkpoint_every) + " epochs to ") +
                   o->train.checkpoint.string() + (o->train.resume ? "" : " (continue a stopped run with --resume)"));
        }
        InterruptibleProgress progress(nullptr);
        TrainResult r = train_detector(config, init, train, val, o->train, progress.get(), [&](const EpochReport& e) {
            char line[256];
            std::snprintf(line, sizeof line, "epoch %3d/%d  loss %.4f (type %.4f, reg %.2f)  lr %.2e  %.1f s", e.epoch,
                          o->train.epochs, e.loss, e.loss_type, e.loss_reg, e.lr, e.seconds);
            std::string text = line;
            if (e.validated) {
                std::snprintf(line, sizeof line, "  val mean F1 %.2f %%%s", 100.0 * e.val_mean_f1,
                              e.best ? "  (best)" : "");
                text += line;
            }
            status(text);
        });
        r.model.save(o->output);
        // The model is written: the state that could have resumed the run has served.
        if (!o->train.checkpoint.empty()) {
            std::error_code error;
            if (!std::filesystem::remove(o->train.checkpoint, error) && error) {
                status("warning: could not remove " + o->train.checkpoint.string() + ": " + error.message());
            }
        }
        status("wrote " + o->output + ": epoch " + std::to_string(r.best_epoch) + ", score threshold " +
               std::to_string(r.model.config().detection.score_threshold).substr(0, 4));
        if (!val.empty()) std::printf("%s", eval_report_table(r.best_val).c_str());
        if (!o->report.empty()) {
            nlohmann::json history = nlohmann::json::array();
            for (const auto& e : r.history) {
                history.push_back({{"epoch", e.epoch}, {"loss", e.loss}, {"loss_type", e.loss_type},
                                   {"loss_reg", e.loss_reg}, {"lr", e.lr}, {"seconds", e.seconds},
                                   {"val_mean_f1", e.validated ? nlohmann::json(e.val_mean_f1) : nlohmann::json()}});
            }
            nlohmann::json j = {{"best_epoch", r.best_epoch},
                                {"history", history},
                                {"provenance", nlohmann::json::parse(r.model.config().provenance_json)}};
            if (!val.empty()) j["validation"] = nlohmann::json::parse(eval_report_json(r.best_val));
            write_file_atomically(o->report, j.dump(2) + "\n");
        }
    }};
}

}  // namespace muse::cli
