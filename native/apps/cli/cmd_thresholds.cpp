// `muse thresholds`: choose a model's score thresholds on labelled images and write the model
// with them (weights unchanged). Cross-validation uses it to try per-class thresholds on models
// it already trained; a lab can use it to set the threshold on its own labelled images.
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "commands.hpp"
#include "muse/errors.hpp"
#include "muse/annotations.hpp"
#include "muse/eval.hpp"
#include "muse/files.hpp"
#include "muse/stain.hpp"

namespace muse::cli {

Command add_thresholds_command(CLI::App& app) {
    struct Options {
        std::string model, dataset, split = "split_val.txt", output, matching = "greedy", stain = "none";
        double mpp = 0.5;
        bool per_class = false;
        EvalOptions eval;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("thresholds", "Choose a model's score thresholds on labelled images");
    cmd->add_option("-m,--model", o->model, "Model file (.muse) with detection heads")->required()->check(CLI::ExistingFile);
    cmd->add_option("--dataset", o->dataset, "Dataset folder in the BRCA-M2C layout (images/, labels/, split lists)")
        ->required()
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--split", o->split, "List of the images to choose on, relative to --dataset")->capture_default_str();
    cmd->add_option("--mpp", o->mpp, "Resolution of the dataset's images, um/px")->capture_default_str();
    cmd->add_option("--radius-um", o->eval.radius_um, "Matching radius, um")->capture_default_str();
    cmd->add_option("--matching", o->matching, "greedy or hungarian (as muse eval)")
        ->check(CLI::IsMember({"greedy", "hungarian"}))
        ->capture_default_str();
    cmd->add_option("--stain", o->stain,
                    "Choose on the images recoloured as another lab (to study a simulated lab): " + stain_choices())
        ->capture_default_str();
    cmd->add_flag("--per-class", o->per_class,
                  "Also one threshold per class (kept only if the combination scores better on these images)");
    cmd->add_option("-o,--output", o->output, "Write the model with the chosen thresholds here")->required();
    cmd->footer(
        "Sweeps the score threshold from 0.20 to 0.85 in steps of 0.05 over the images (one forward\n"
        "pass each) and keeps the best mean F1; the weights are copied unchanged. A score measured on\n"
        "the images that chose the threshold is optimistic: score other images with muse eval.\n\n"
        "Example:\n"
        "  muse thresholds -m fold1.muse --dataset ../shared/data/brca-m2c --split fold1-val.txt \\\n"
        "       --per-class -o fold1-pc.muse");
    return {cmd, [o] {
        o->eval.matching = parse_matching(o->matching);
        stain_preset(o->stain);  // a bad name fails before any work
        const Model model = Model::load(o->model);
        auto images = read_brca_m2c(o->dataset, o->split, o->mpp);
        simulate_lab(images, o->stain, 1.0);
        InterruptibleProgress progress(nullptr);
        const ThresholdChoice choice = choose_score_thresholds(model, images, o->per_class, o->eval, progress.get());
        ModelConfig config = model.config();
        config.detection.score_threshold = choice.score_threshold;
        config.detection.class_score_thresholds = choice.class_score_thresholds;
        nlohmann::json provenance = nlohmann::json::parse(config.provenance_json);
        provenance["thresholds"] = {{"by", std::string("muse thresholds")},
                                    {"images", images.size()},
                                    {"split", o->split},
                                    {"stain", o->stain},
                                    {"per_class_asked", o->per_class},
                                    {"mean_f1_on_these_images", choice.report.mean_f1}};
        config.provenance_json = provenance.dump();
        Model::from_weights(config, model.state_dict()).save(o->output);
        std::string per_class;
        for (std::size_t c = 0; c < choice.class_score_thresholds.size(); ++c) {
            per_class += (c ? ", " : "") + config.classes[c].name + " " + std::to_string(choice.class_score_thresholds[c]).substr(0, 4);
        }
        std::printf("score threshold %.2f%s; mean F1 on these %zu images %.2f %% (optimistic)\n",
                    choice.score_threshold, per_class.empty() ? "" : (" (per class: " + per_class + ")").c_str(),
                    images.size(), 100.0 * choice.report.mean_f1);
        status("wrote " + o->output);
    }};
}

}  // namespace muse::cli
