// model_without_class IN.muse CLASS OUT.muse: the same model without one of its classes (its
// row of the type head and its threshold removed), for bench/new_class_lab.sh's check that
// fine-tuning can add a class the pixels tell apart: the base model forgets a class its
// features still separate, and the simulated lab adds it back with `muse finetune --new-classes`.
#include <cstdio>
#include <exception>
#include <string>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "model/model_file.hpp"
#include "muse/errors.hpp"
#include "nn/heads.hpp"

namespace {

/// Rows 0..K of the type head's output are the K classes, then background; drop row `index`.
at::Tensor without_row(const at::Tensor& t, std::int64_t index) {
    return at::cat({t.narrow(0, 0, index), t.narrow(0, index + 1, t.size(0) - index - 1)}).contiguous();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: model_without_class IN.muse CLASS OUT.muse\n");
        return 2;
    }
    const std::string in_path = argv[1], name = argv[2], out_path = argv[3];
    try {
        muse::model::ModelFileContents model = muse::model::read_model_file(in_path);
        auto& classes = model.config.classes;
        std::int64_t index = -1;
        for (std::size_t i = 0; i < classes.size(); ++i) {
            if (classes[i].name == name) index = static_cast<std::int64_t>(i);
        }
        if (index < 0) throw muse::InvalidArgument(in_path + " has no class '" + name + "'");
        if (classes.size() < 2) throw muse::InvalidArgument(in_path + " has only one class: nothing would remain");
        for (const char* tensor : muse::nn::kTypeHeadOutputTensors) {
            auto it = model.weights.find(tensor);
            if (it == model.weights.end() || it->second.size(0) != static_cast<std::int64_t>(classes.size()) + 1) {
                throw muse::ModelMismatch(in_path + ": " + tensor + " is missing or does not have one row per class plus background");
            }
            it->second = without_row(it->second, index);
        }
        classes.erase(classes.begin() + index);
        auto& thresholds = model.config.detection.class_score_thresholds;
        if (!thresholds.empty()) thresholds.erase(thresholds.begin() + index);
        nlohmann::json provenance = nlohmann::json::parse(model.config.provenance_json);
        provenance["class_removed"] = {{"name", name}, {"from", in_path}};
        model.config.provenance_json = provenance.dump();
        muse::model::write_model_file(out_path, model.config, model.weights);
        std::printf("wrote %s: %zu classes\n", out_path.c_str(), classes.size());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "model_without_class: %s\n", e.what());
        return 1;
    }
    return 0;
}
