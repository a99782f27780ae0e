// `muse features`: per-nucleus MUSE features at given points of one tile, as a .npy matrix.
#include <chrono>
#include <memory>

#include <ATen/core/Tensor.h>

#include "cli_common.hpp"
#include "commands.hpp"
#include "muse/errors.hpp"
#include "muse/array_files.hpp"

namespace muse::cli {

Command add_features_command(CLI::App& app) {
    struct Options {
        std::string model, image, points, output;
        CheckpointOptions ckpt;
        Precision precision = Precision::Fp32;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("features", "Sample MUSE features at points of a tile (float32 .npy [N, C])");
    cmd->add_option("-m,--model", o->model, "Model file (.muse), or an official .pth with --img-size")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--image", o->image, "Tile image (PNG/JPEG/TIFF): square, side a multiple of 32")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--points", o->points, "CSV with header x,y: tile pixels, x = column")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("-o,--output", o->output, "Output .npy file")->required();
    o->ckpt.add_to(*cmd, false);
    // float32 by default: features are compared with the reference's to 1e-5 (the parity tests).
    add_precision_option(*cmd, o->precision, Precision::Fp32);
    cmd->footer(
        "Features are sampled from the dense map exactly as the reference does (bilinear,\n"
        "align_corners=True); rows follow the order of the points.\n\n"
        "Example (scripts/run-example.sh writes build/example/example-model.muse):\n"
        "  muse features -m build/example/example-model.muse --image samples/tile-224.png \\\n"
        "       --points samples/points-224.csv -o feats.npy");
    return {cmd, [o] {
        Model model = Model::open(o->model, o->ckpt.to_import_options());
        RgbImage tile = read_image_file(o->image);
        std::vector<Point> points = read_points_csv(o->points);
        const auto t0 = std::chrono::steady_clock::now();
        at::Tensor feats;
        try {
            feats = model.point_features(tile, points, o->precision);
        } catch (Error& e) {
            e.add_context("'" + o->image + "'");
            throw;
        }
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        write_npy_f32(o->output, feats.data_ptr<float>(), {feats.size(0), feats.size(1)});
        status("wrote " + o->output + ": " + std::to_string(feats.size(0)) + " points x " +
               std::to_string(feats.size(1)) + " features (" + std::to_string(tile.width) + " px tile, " +
               std::to_string(static_cast<int>(ms)) + " ms, " + describe_precision(o->precision) + ")");
    }};
}

}  // namespace muse::cli
