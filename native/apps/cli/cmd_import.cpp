// `muse import`: official MUSE .pth checkpoint -> muse model file.
#include <chrono>
#include <memory>

#include "cli_common.hpp"
#include "commands.hpp"

namespace muse::cli {

Command add_import_command(CLI::App& app) {
    struct Options {
        std::string input, output;
        CheckpointOptions ckpt;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("import", "Convert an official MUSE .pth checkpoint into a muse model file");
    cmd->add_option("checkpoint", o->input, "The released .pth file (e.g. vit_s_16-224.pth)")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("-o,--output", o->output, "Model file to write (.muse)")->required();
    o->ckpt.add_to(*cmd, true);
    cmd->footer(
        "Reads the 'teacher' backbone weights without running any pickled Python code, re-grids the\n"
        "ViT position embedding as the reference loader does, and writes a self-describing model file.\n\n"
        "Example (the released ViT-S/16 MUSE and LFoV-MUSE checkpoints):\n"
        "  muse import vit_s_16-224.pth --arch vit_small --img-size 224 -o muse-vit_s_16-224.muse\n"
        "  muse import vit_s_16_512.pth --arch vit_small --img-size 512 -o lfov-muse-vit_s_16-512.muse");
    return {cmd, [o] {
        const auto t0 = std::chrono::steady_clock::now();
        Model model = Model::import_checkpoint(o->input, o->ckpt.to_import_options());
        model.save(o->output);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        status("wrote " + o->output + ": " + model.config().arch + ", img_size " +
               std::to_string(model.config().img_size) + ", " + grouped(model.parameter_count()) +
               " parameters (" + std::to_string(static_cast<int>(s * 1000)) + " ms)");
    }};
}

}  // namespace muse::cli
