// `muse info`: what a model file or an official checkpoint holds.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli_common.hpp"
#include "commands.hpp"

namespace muse::cli {
namespace {

void print_row(const std::string& key, const std::string& value) {
    std::printf("%-20s %s\n", key.empty() ? "" : (key + ":").c_str(), value.c_str());
}

std::string joined(const std::vector<std::string>& items) {
    std::string s;
    for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
    return s.empty() ? "none" : s;
}

void print_checkpoint(const std::string& path) {
    const CheckpointSummary s = inspect_checkpoint(path);
    print_row("file", path + " (" + human_bytes(s.file_bytes) + ")");
    print_row("format", "PyTorch checkpoint (torch.save zip), read without executing code");
    print_row("top-level keys", joined(s.top_level_keys));
    print_row("backbone tensors", std::to_string(s.backbone_tensors) + " under teacher/module.backbone. (" +
                                      grouped(s.backbone_values) + " values)");
    print_row("ignored", std::to_string(s.ignored_teacher_entries) + " other teacher entries (projection head)");
    print_row("skipped objects", joined(s.skipped_objects));
    print_row("architecture", s.guessed_arch.empty() ? "unknown" : s.guessed_arch + " (from the weights)");
    if (s.pos_embed_grid > 0) {
        print_row("position grid", std::to_string(s.pos_embed_grid) + "x" + std::to_string(s.pos_embed_grid) +
                                       " as stored (re-gridded to --img-size/16 on import)");
    }
}

void print_model(const std::string& path) {
    const Model model = Model::load(path);
    const ModelConfig& c = model.config();
    std::string description;
    for (const auto& v : model_variants()) {
        if (v.name == c.arch) description = v.description;
    }
    char buf[160];
    print_row("file", path + " (" + human_bytes(std::filesystem::file_size(path)) + ")");
    print_row("format", "muse model file (safetensors + JSON config)");
    print_row("architecture", c.arch + " - " + description);
    print_row("model image size", std::to_string(c.img_size) + " px");
    std::snprintf(buf, sizeof buf, "%.4g um/px", c.mpp);
    print_row("working resolution", buf);
    print_row("features", std::to_string(model.feature_dim()) + " channels, dense map stride " +
                              std::to_string(Model::kDenseStride) + " px");
    print_row("parameters", grouped(model.parameter_count()));
    std::snprintf(buf, sizeof buf, "RGB/255, mean (%.3f, %.3f, %.3f), std (%.3f, %.3f, %.3f)", c.norm_mean[0],
                  c.norm_mean[1], c.norm_mean[2], c.norm_std[0], c.norm_std[1], c.norm_std[2]);
    print_row("normalisation", buf);
    if (!c.od_transform.empty()) {  // fitted to a lab by muse finetune --stain-fit-epochs
        const auto& t = c.od_transform;
        std::snprintf(buf, sizeof buf, "OD x [%.3f %.3f %.3f; %.3f %.3f %.3f; %.3f %.3f %.3f] + (%.3f, %.3f, %.3f)", t[0],
                      t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11]);
        print_row("stain correction", buf);
    }
    if (c.classes.empty()) {
        print_row("classes", "none (backbone without detection heads)");
    } else {
        for (std::size_t i = 0; i < c.classes.size(); ++i) {
            const auto& k = c.classes[i];
            std::snprintf(buf, sizeof buf, "%s  rgb(%d, %d, %d)", k.name.c_str(), k.color[0], k.color[1], k.color[2]);
            print_row(i == 0 ? "classes" : "", buf);
        }
        const DetectionConfig& d = c.detection;
        std::snprintf(buf, sizeof buf, "proposals every %d px, heads %d wide, score >= %.2f, merge radius %.3g um",
                      d.proposal_stride_px, d.head_hidden, d.score_threshold, d.merge_radius_um);
        print_row("detection", buf);
        if (!d.class_score_thresholds.empty()) {
            std::string per_class;
            for (std::size_t i = 0; i < c.classes.size(); ++i) {
                std::snprintf(buf, sizeof buf, "%s%s >= %.2f", i ? ", " : "", c.classes[i].name.c_str(),
                              d.class_score_thresholds[i]);
                per_class += buf;
            }
            print_row("per-class scores", per_class);
        }
    }
    print_row("provenance", c.provenance_json);
}

}  // namespace

Command add_info_command(CLI::App& app) {
    auto path = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand("info", "Describe a muse model file or an official MUSE checkpoint");
    cmd->add_option("file", *path, "A .muse model file or a .pth checkpoint")->required()->check(CLI::ExistingFile);
    cmd->footer("Examples:\n"
                "  muse info models/example.muse\n"
                "  muse info vit_s_16-224.pth");
    return {cmd, [path] {
        if (is_checkpoint_file(*path)) print_checkpoint(*path);
        else print_model(*path);
    }};
}

}  // namespace muse::cli
