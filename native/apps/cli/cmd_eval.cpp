// `muse eval`: detection F1 per class and classification accuracy of a model on labelled images.
#include <cstdio>
#include <memory>

#include "cli_common.hpp"
#include "commands.hpp"
#include "muse/eval.hpp"
#include "muse/files.hpp"

namespace muse::cli {

Command add_eval_command(CLI::App& app) {
    struct Options {
        std::string model, dataset, split = "split_val.txt", output;
        double mpp = 0.5;
        EvalOptions eval;
        DetectOptions detect;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("eval", "Score a model's nucleus detection and classification on labelled images");
    cmd->add_option("-m,--model", o->model, "Model file (.muse) with detection heads")->required()->check(CLI::ExistingFile);
    cmd->add_option("--dataset", o->dataset, "Dataset folder in the BRCA-M2C layout (images/, labels/, split lists)")
        ->required()
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--split", o->split, "List of the images to score, relative to --dataset")->capture_default_str();
    cmd->add_option("--mpp", o->mpp, "Resolution of the dataset's images, um/px")->capture_default_str();
    cmd->add_option("--radius-um", o->eval.radius_um, "Matching radius, um")->capture_default_str();
    cmd->add_option("--score-threshold", o->detect.score_threshold, "Detection threshold (default: the model's)");
    cmd->add_option("--merge-radius-um", o->detect.merge_radius_um, "Duplicate suppression radius (default: the model's)");
    cmd->add_option("-o,--output", o->output, "Also write the scores as JSON to this file");
    cmd->footer(
        "For each class, the model's detections of that class are matched one-to-one to the labelled\n"
        "nuclei of that class within the radius (Hungarian); precision, recall and F1 are pooled over\n"
        "the images and averaged over classes (MCSpatNet-style). Also reports the class H_type gives at\n"
        "each labelled nucleus (classification accuracy at known positions).\n\n"
        "Example:\n"
        "  muse eval -m models/muse-default.muse --dataset ../shared/data/brca-m2c --split split_val.txt");
    return {cmd, [o] {
        const Model model = Model::load(o->model);
        const auto images = read_brca_m2c(o->dataset, o->split, o->mpp);
        InterruptibleProgress progress(nullptr);
        const EvalReport r = evaluate_model(model, images, o->eval, o->detect, progress.get());
        std::printf("%s", eval_report_table(r).c_str());
        if (!o->output.empty()) {
            write_file_atomically(o->output, eval_report_json(r) + "\n");
            status("wrote " + o->output);
        }
    }};
}

}  // namespace muse::cli
