// `muse adapt`: label-free adaptation of a model to a lab's stain from its unlabelled slides
// (BatchNorm statistics re-estimated on their tissue tiles; muse/adapt.hpp).
#include <memory>

#include "cli_common.hpp"
#include "commands.hpp"
#include "muse/adapt.hpp"
#include "muse/errors.hpp"

namespace muse::cli {

Command add_adapt_command(CLI::App& app) {
    struct Options {
        std::string model, output;
        std::vector<std::string> slides;
        double mpp = 0.0;
        AdaptOptions adapt;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("adapt", "Adapt a model to a lab's stain from unlabelled slides (no annotations)");
    cmd->add_option("-m,--model", o->model, "Model to adapt (.muse; default: the bundled model)");
    cmd->add_option("--slide", o->slides, "A slide (or image) of the lab; repeat for several")->required()->check(CLI::ExistingFile);
    cmd->add_option("--mpp", o->mpp, "Level-0 um/px of the slides (default: from each file)");
    cmd->add_option("--tiles", o->adapt.tiles, "Tissue tiles to read, spread evenly over the slides")->capture_default_str();
    cmd->add_option("--tile-px", o->adapt.tile_px, "Tile side at the model's pixel size (multiple of 32)")->capture_default_str();
    cmd->add_option("--weight", o->adapt.weight, "Share of the lab's statistics (the rest: the model's own)")
        ->check(share_validator(true))
        ->capture_default_str();
    cmd->add_flag("--no-tissue-mask", [o](std::int64_t) { o->adapt.tissue_mask = false; },
                  "Use tiles anywhere, not only where there is tissue (for images that are all tissue)");
    cmd->add_option("--batch", o->adapt.batch, "Tiles per forward pass (at least 2)")->capture_default_str();
    cmd->add_option("-o,--output", o->output, "Write the adapted model here")->required();
    cmd->footer(
        "Reads tissue tiles of the slides, runs the model over them and replaces the running means and\n"
        "variances of its BatchNorm layers by those of the lab's tiles (AdaBN); no other weight\n"
        "changes, no labels are used. Helps when the lab's stain or scanner differs from the training\n"
        "data; measured in docs/finetune.md. A few dozen forward passes: seconds to a minute.\n\n"
        "Example:\n"
        "  muse adapt --slide lab1.svs --slide lab2.svs -o adapted.muse\n"
        "  muse detect lab3.svs -m adapted.muse -o nuclei.geojson");
    return {cmd, [o] {
        const Model base = Model::load(model_or_default(o->model));
        std::vector<AdaptSlide> slides;
        for (const auto& path : o->slides) slides.push_back({open_slide(path), o->mpp});
        InterruptibleProgress progress(nullptr);
        const AdaptResult r = adapt_batchnorm(base, slides, o->adapt, progress.get());
        r.model.save(o->output);
        status("wrote " + o->output + ": BatchNorm statistics of " + std::to_string(r.batchnorm_layers) +
               " layers from " + std::to_string(r.tiles) + " tiles of " + std::to_string(slides.size()) + " slide(s)");
    }};
}

}  // namespace muse::cli
